"""What several test modules share: tables, tiny backbones and books, fixtures."""
