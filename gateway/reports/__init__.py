"""Reports for teachers: the monthly class report (a few figures) and its per-student details."""
