"""The shared kernel at the bottom of the layers: error codes, records, ids, pagination."""
