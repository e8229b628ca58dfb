#include "onnx/onnx_io.h"
