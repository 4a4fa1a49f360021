"""OneRoster rostering: who is a student of which class in which school of which municipality."""
