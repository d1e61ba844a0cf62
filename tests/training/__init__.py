"""Training tests (a package, so its module names may repeat names used in other test folders)."""
