"""Posted forms, read and checked: anything malformed is a 400 or a list of problems to show."""
