"""Intelligence flags: recording, grading, need-to-know reading, review dates and links."""
