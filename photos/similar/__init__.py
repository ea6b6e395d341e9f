"""Photos found by how they look: CNN embeddings, "more like this" and near-duplicates."""
