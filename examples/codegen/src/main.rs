//! Prints the colors that the build script generated from `schema/colors.txt`.

/// A color in 8-bit RGB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color {
    pub red: u8,
    pub green: u8,
    pub blue: u8,
}

include!(concat!(env!("OUT_DIR"), "/colors.rs"));

fn main() {
    for (name, color) in ALL {
        println!("{name:<8} #{:02x}{:02x}{:02x}", color.red, color.green, color.blue);
    }
}
