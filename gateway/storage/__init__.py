"""Storage: the MongoDB connection, the embedded server, index management."""
