"""Intelligence flags: raising, grading, reading on a need-to-know basis, lists and exports."""
