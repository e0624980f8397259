"""sangkien: national statistics warehouse for the "1 triệu sáng kiến" programme."""
