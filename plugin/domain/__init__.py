"""Pure business rules: no I/O, the clock passed in."""
