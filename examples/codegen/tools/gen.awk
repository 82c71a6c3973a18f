# Turns schema lines `name red green blue` into Rust constants: one
# `pub const NAME: Color` per line, then `ALL` with every name and color.
# Blank lines and lines starting with `#` are skipped.

/^[ \t]*(#|$)/ { next }

NF != 4 {
    printf "%s:%d: expected `name red green blue`, found %d fields\n", FILENAME, FNR, NF > "/dev/stderr"
    failed = 1
    exit 1
}

{
    count++
    names[count] = $1
    printf "pub const %s: Color = Color { red: %d, green: %d, blue: %d };\n", toupper($1), $2, $3, $4
}

END {
    if (failed) exit 1
    printf "pub const ALL: [(&str, Color); %d] = [\n", count
    for (i = 1; i <= count; i++) printf "    (\"%s\", %s),\n", names[i], toupper(names[i])
    print "];"
}
