"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Input handling."""
