"""What a Belgian household is billed for, computed from the meter's indexes (pure Python)."""
