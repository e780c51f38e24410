"""The model runtime: ONNX models with a fast (onnxruntime) and an exact (integer) profile."""
