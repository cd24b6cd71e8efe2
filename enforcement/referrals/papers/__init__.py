"""Committee papers: one document model and its Word and print HTML renderers."""
