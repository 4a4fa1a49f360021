"""Exam-result adapters: OneRoster 1.2 Gradebook CSV and YAML-described exam CSVs → Kakehashi xAPI statements."""
