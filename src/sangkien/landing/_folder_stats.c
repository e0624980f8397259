/*
 * The change test of a unit's earlier delivery folders, without the GIL.
 *
 * A night looks at every earlier folder of each unit (44,563 on 14/07/2023 at
 * full scale) to find late and corrected deliveries. In Python each folder
 * costs a listing and two lstat()s wrapped in objects, about 25 µs, and the
 * night's two landing threads take turns at the GIL. Here a folder costs its
 * system calls, and both threads run at once.
 *
 * signatures(locations, data_names, manifest_name) -> list
 *   For each folder path: (data_size, data_mtime_ns, manifest_mtime_ns), as
 *   DeliveryFolder.signature() computes it (the data file's fields are None
 *   unless exactly one data file is present; lstat, never following a link);
 *   (None, None, None) for a folder that does not exist or is not a folder;
 *   None when anything else went wrong, for the Python path to decide.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DATA_NAMES 8

enum folder_state { FOLDER_OK, FOLDER_MISSING, FOLDER_UNKNOWN };

typedef struct {
    enum folder_state state;
    int data_files;
    long long data_size, data_mtime_ns;
    int has_manifest;
    long long manifest_mtime_ns;
} folder_signature;

/* 0, or -1 for a time nanoseconds cannot hold (beyond year 2262): left to Python. */
static int mtime_ns(const struct stat *st, long long *ns) {
    long long seconds;
    if (__builtin_mul_overflow((long long)st->st_mtim.tv_sec, 1000000000LL, &seconds)) return -1;
    return __builtin_add_overflow(seconds, (long long)st->st_mtim.tv_nsec, ns) ? -1 : 0;
}

static void scan_folder(const char *path, const char *const *data_names, int n_data,
                        const char *manifest_name, folder_signature *sig) {
    memset(sig, 0, sizeof *sig);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        sig->state = (errno == ENOENT || errno == ENOTDIR) ? FOLDER_MISSING : FOLDER_UNKNOWN;
        return;
    }
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        close(fd);
        sig->state = FOLDER_UNKNOWN;
        return;
    }
    struct dirent *entry;
    struct stat st;
    errno = 0;
    while ((entry = readdir(dir)) != NULL) {
        int is_data = 0;
        for (int i = 0; i < n_data; i++)
            if (strcmp(entry->d_name, data_names[i]) == 0) is_data = 1;
        int is_manifest = strcmp(entry->d_name, manifest_name) == 0;
        if (!is_data && !is_manifest) continue;
        if (fstatat(fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            sig->state = FOLDER_UNKNOWN; /* gone meanwhile: let Python see it */
            break;
        }
        if (is_data) {
            sig->data_files++;
            sig->data_size = (long long)st.st_size;
        } else {
            sig->has_manifest = 1;
        }
        if (mtime_ns(&st, is_data ? &sig->data_mtime_ns : &sig->manifest_mtime_ns) != 0) {
            sig->state = FOLDER_UNKNOWN;
            break;
        }
        errno = 0;
    }
    if (entry == NULL && errno != 0) sig->state = FOLDER_UNKNOWN;
    closedir(dir);
}

static PyObject *int_or_none(int present, long long value) {
    if (present) return PyLong_FromLongLong(value);
    Py_RETURN_NONE;
}

static PyObject *signature_tuple(const folder_signature *sig) {
    if (sig->state == FOLDER_UNKNOWN) Py_RETURN_NONE;
    if (sig->state == FOLDER_MISSING) return Py_BuildValue("(OOO)", Py_None, Py_None, Py_None);
    int one_data = sig->data_files == 1;
    PyObject *size = int_or_none(one_data, sig->data_size);
    PyObject *mtime = int_or_none(one_data, sig->data_mtime_ns);
    PyObject *manifest = int_or_none(sig->has_manifest, sig->manifest_mtime_ns);
    if (size == NULL || mtime == NULL || manifest == NULL) {
        Py_XDECREF(size);
        Py_XDECREF(mtime);
        Py_XDECREF(manifest);
        return NULL;
    }
    PyObject *tuple = PyTuple_Pack(3, size, mtime, manifest);
    Py_DECREF(size);
    Py_DECREF(mtime);
    Py_DECREF(manifest);
    return tuple;
}

static PyObject *signatures(PyObject *self, PyObject *args) {
    PyObject *locations, *names;
    const char *manifest_name;
    if (!PyArg_ParseTuple(args, "O!O!s", &PyList_Type, &locations, &PyTuple_Type, &names,
                          &manifest_name))
        return NULL;
    Py_ssize_t n_data = PyTuple_GET_SIZE(names);
    if (n_data > MAX_DATA_NAMES) {
        PyErr_SetString(PyExc_ValueError, "too many data file names");
        return NULL;
    }
    const char *data_names[MAX_DATA_NAMES];
    for (Py_ssize_t i = 0; i < n_data; i++) {
        data_names[i] = PyUnicode_AsUTF8(PyTuple_GET_ITEM(names, i));
        if (data_names[i] == NULL) return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(locations);
    PyObject **paths = PyMem_Calloc(n ? n : 1, sizeof *paths); /* bytes, file system encoding */
    folder_signature *sigs = PyMem_Calloc(n ? n : 1, sizeof *sigs);
    PyObject *result = NULL;
    if (paths == NULL || sigs == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        /* str only: a path-like object's __fspath__ could change the list meanwhile. */
        PyObject *location = PyList_GET_ITEM(locations, i);
        if (!PyUnicode_Check(location)) {
            PyErr_SetString(PyExc_TypeError, "locations must be str");
            goto done;
        }
        if (!PyUnicode_FSConverter(location, &paths[i])) goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++)
        scan_folder(PyBytes_AS_STRING(paths[i]), data_names, (int)n_data, manifest_name, &sigs[i]);
    Py_END_ALLOW_THREADS
    result = PyList_New(n);
    if (result == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = signature_tuple(&sigs[i]);
        if (item == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, item);
    }
done:
    if (paths != NULL)
        for (Py_ssize_t i = 0; i < n; i++) Py_XDECREF(paths[i]);
    PyMem_Free(paths);
    PyMem_Free(sigs);
    return result;
}

static PyMethodDef methods[] = {
    {"signatures", signatures, METH_VARARGS,
     "signatures(locations, data_names, manifest_name): each folder's change signature."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_folder_stats", "Delivery folders' change signatures, in C.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__folder_stats(void) { return PyModule_Create(&module); }
