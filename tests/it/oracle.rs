//! Agreement with librpm (`rpmspec`) on the corpus — written by the oracle work.
