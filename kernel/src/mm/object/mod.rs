//! Memory objects (the seed's top layer): data that can be mapped into one
//! or more address spaces. See [`book`] for the bookkeeping rules.

pub mod book;
