/* The floor of the Python benchmark: a C extension function taking one argument and doing
 * nothing (CPython's METH_O convention, the fastest call into an extension). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *noop(PyObject *self, PyObject *arg) {
    (void)self;
    (void)arg;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"noop", noop, METH_O, "Does nothing."}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "otelrs_bench_noop", NULL, -1, methods};

PyMODINIT_FUNC PyInit_otelrs_bench_noop(void) { return PyModule_Create(&module); }
