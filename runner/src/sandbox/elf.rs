//! The ELF program interpreter (`PT_INTERP`) of a dynamically linked binary.
//!
//! `execve` of such a binary also executes its interpreter, usually `ld.so`,
//! so the sandbox must grant execute on both. Only the file header and the
//! program headers are read: 32- and 64-bit, little- and big-endian. A file
//! that is not ELF, is statically linked or is truncated has no interpreter.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

const PT_INTERP: u32 = 3;

/// Maximum interpreter path length accepted, so a corrupt header cannot make
/// the runner allocate much.
const MAX_INTERP_LEN: u64 = 4096;

/// Reads the `PT_INTERP` path of the ELF file at `path`. Returns `Ok(None)`
/// for files that are not ELF or have no interpreter.
pub(crate) fn interpreter(path: &Path) -> io::Result<Option<PathBuf>> {
    let mut file = File::open(path)?;
    let mut ident = [0u8; 16];
    if read_full(&mut file, &mut ident)? < ident.len() || &ident[..4] != b"\x7fELF" {
        return Ok(None);
    }

    let wide = match ident[4] {
        1 => false,
        2 => true,
        _ => return Ok(None),
    };
    let reader = Fields { big_endian: ident[5] == 2 };

    // The rest of the file header: e_phoff, e_phentsize and e_phnum.
    let mut header = [0u8; 48];
    let header_len = if wide { 48 } else { 36 };
    if read_full(&mut file, &mut header[..header_len])? < header_len {
        return Ok(None);
    }
    let (phoff, phentsize, phnum) = if wide {
        (reader.u64(&header[16..24]), reader.u16(&header[38..40]), reader.u16(&header[40..42]))
    } else {
        (
            reader.u32(&header[12..16]) as u64,
            reader.u16(&header[26..28]),
            reader.u16(&header[28..30]),
        )
    };
    let min_entry = if wide { 56 } else { 32 };
    if usize::from(phentsize) < min_entry {
        return Ok(None);
    }

    let mut entry = vec![0u8; usize::from(phentsize)];
    for index in 0..u64::from(phnum) {
        file.seek(SeekFrom::Start(phoff + index * u64::from(phentsize)))?;
        if read_full(&mut file, &mut entry)? < entry.len() {
            return Ok(None);
        }
        if reader.u32(&entry[0..4]) != PT_INTERP {
            continue;
        }

        let (offset, size) = if wide {
            (reader.u64(&entry[8..16]), reader.u64(&entry[32..40]))
        } else {
            (reader.u32(&entry[4..8]) as u64, reader.u32(&entry[16..20]) as u64)
        };
        if size == 0 || size > MAX_INTERP_LEN {
            return Ok(None);
        }
        let mut name = vec![0u8; size as usize];
        file.seek(SeekFrom::Start(offset))?;
        if read_full(&mut file, &mut name)? < name.len() {
            return Ok(None);
        }
        let end = name.iter().position(|&byte| byte == 0).unwrap_or(name.len());
        name.truncate(end);
        return Ok(Some(PathBuf::from(std::ffi::OsStr::from_bytes(&name))));
    }
    Ok(None)
}

/// Reads until `buffer` is full or the file ends; returns the bytes read.
fn read_full(file: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Integer decoding in the byte order of the file.
struct Fields {
    big_endian: bool,
}

impl Fields {
    fn u16(&self, bytes: &[u8]) -> u16 {
        let bytes = bytes.try_into().unwrap_or([0; 2]);
        if self.big_endian { u16::from_be_bytes(bytes) } else { u16::from_le_bytes(bytes) }
    }

    fn u32(&self, bytes: &[u8]) -> u32 {
        let bytes = bytes.try_into().unwrap_or([0; 4]);
        if self.big_endian { u32::from_be_bytes(bytes) } else { u32::from_le_bytes(bytes) }
    }

    fn u64(&self, bytes: &[u8]) -> u64 {
        let bytes = bytes.try_into().unwrap_or([0; 8]);
        if self.big_endian { u64::from_be_bytes(bytes) } else { u64::from_le_bytes(bytes) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreter_of_dynamic_binary() {
        let interp = interpreter(Path::new("/bin/sh")).unwrap();
        let interp = interp.expect("/bin/sh is dynamically linked on this system");
        let name = interp.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("ld-"), "unexpected interpreter {interp:?}");
        assert!(interp.is_absolute());
    }

    #[test]
    fn interpreter_of_script_is_none() {
        let dir = std::env::temp_dir().join(format!("runner-elf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("script");
        std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
        assert_eq!(interpreter(&script).unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn interpreter_of_truncated_elf_is_none() {
        let dir = std::env::temp_dir().join(format!("runner-elf-trunc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let header = std::fs::read("/bin/sh").unwrap();
        let truncated = dir.join("truncated");
        std::fs::write(&truncated, &header[..40]).unwrap();
        assert_eq!(interpreter(&truncated).unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
