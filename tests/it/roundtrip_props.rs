//! Property tests of the parser — written by the fuzz/proptest work.
