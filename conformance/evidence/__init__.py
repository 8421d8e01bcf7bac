"""Evidence: hashes of every input and the run manifest."""
