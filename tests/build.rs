//! Every integration-test binary is a kernel image: link it with linker.ld
//! (found through the search path the kernel crate's build script sets).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg-bins=-Tlinker.ld");
        println!("cargo:rustc-link-arg-bins=--nmagic");
    }
}
