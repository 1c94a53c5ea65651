#ifndef UNROLL_CHDF5_SHIM_H
#define UNROLL_CHDF5_SHIM_H
// The HDF5 C library (Debian's libhdf5-dev, headers in /usr/include/hdf5/serial via pkg-config "hdf5").
// Its constants are macros that read globals after H5open (H5T_NATIVE_FLOAT, H5P_FILE_ACCESS, ...) or casts
// ((hid_t)0): Swift cannot import them, so they are functions here. Nothing else: the logic is in Swift
// (Sources/Experiment/HDF5).
#include <hdf5.h>

/// Opens the library and turns off its own error printing to stderr (every failure becomes one Swift error).
static inline herr_t unroll_h5_init(void) {
    herr_t status = H5open();
    if (status < 0) return status;
    return H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static inline hid_t unroll_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t unroll_h5s_all(void) { return H5S_ALL; }
static inline hid_t unroll_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t unroll_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline unsigned unroll_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned unroll_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline hid_t unroll_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t unroll_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t unroll_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t unroll_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t unroll_h5t_c_s1(void) { return H5T_C_S1; }
static inline size_t unroll_h5t_variable(void) { return H5T_VARIABLE; }
static inline haddr_t unroll_haddr_undef(void) { return HADDR_UNDEF; }

#endif
