"""Text features EvalHub derives itself (language, length, code, recency, safety) and answer hedging.

Pure: no Django and no app imports, so every app can call it at write time.
"""
