//! The README's system-call table is checked against the ABI file
//! (`kernel/src/syscall/abi.rs`, which the kernel and the user library
//! share): every call the ABI's own table lists has its number there, and
//! a row with that number and name in the README, and the README lists
//! no call the ABI does not.

use std::collections::BTreeMap;
use std::path::Path;

fn read(rel: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `| nr | name | ...` rows of a Markdown table, `prefix` stripped from
/// each line first: number -> name (backticks dropped, lower case).
fn rows(text: &str, prefix: &str) -> BTreeMap<u32, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .filter_map(|l| {
            let mut cells = l.trim().strip_prefix('|')?.split('|');
            let nr = cells.next()?.trim().parse().ok()?;
            let name = cells.next()?.trim().trim_matches('`').to_lowercase();
            Some((nr, name))
        })
        .collect()
}

/// `pub const NAME: u32 = N;` of the ABI file: lower-case name -> value.
fn consts(abi: &str) -> BTreeMap<String, u32> {
    abi.lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("pub const ")?;
            let (name, rest) = rest.split_once(": u32 = ")?;
            let value = rest.strip_suffix(';')?.trim().parse().ok()?;
            Some((name.to_lowercase(), value))
        })
        .collect()
}

#[test]
fn readme_lists_every_system_call_of_the_abi() {
    let abi = read("kernel/src/syscall/abi.rs");
    let listed = rows(&abi, "//!");
    let values = consts(&abi);
    assert!(listed.len() >= 10, "the ABI's table was not found");
    for (nr, name) in &listed {
        assert_eq!(values.get(name), Some(nr), "abi.rs: {name} is not {nr}");
    }
    let readme = read("README.md");
    let start = readme
        .find("## System calls")
        .expect("a System calls section");
    let end = readme[start + 1..]
        .find("\n## ")
        .map_or(readme.len(), |e| start + 1 + e);
    let documented = rows(&readme[start..end], "");
    assert_eq!(
        documented, listed,
        "README's system-call table differs from abi.rs's"
    );
}
