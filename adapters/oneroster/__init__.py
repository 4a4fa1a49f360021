"""OneRoster adapters: CSV file-set import and the REST consumer."""
