"""Text features EvalHub derives from prompts and answers (pure Python, no Django)."""
