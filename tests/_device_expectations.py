"""Which op-table rows cannot run on a device yet, and why (used by tests/test_backend_seam.py).

Every row of ``tests/optable`` whose inputs include an array runs on the CuPy-like fake device
(``tests/_fakedevice.py``): eager value and reverse-mode derivative, compared with NumPy. The
rows below are the exceptions, one family per reason:

- ``"refused"``: the function cannot run on a device and says so: the row must raise a
  ``fluxion.DeviceError`` that names the function and the fix (``fluxion.device_put``);
- ``"xfail"``: a wrapper that is not device-ready yet fails with a raw error (strict xfail: a
  fix makes the test fail until the row is taken off this list).

The lists were made by running every row on the fake device and sorting the failures by cause
(the reasons below); ``test_expectations_name_real_rows`` checks that each name is a row.
"""

from __future__ import annotations

CREATION_MIX_ROWS = (
    "ca-arange-scaled",
    "ca-bartlett-times-x",
    "ca-blackman-times-x",
    "ca-choose",
    "ca-choose-complex",
    "ca-empty-filled",
    "ca-eye-times-x",
    "ca-fromfunction",
    "ca-fromfunction-int-dtype",
    "ca-full-broadcast-row",
    "ca-full-complex",
    "ca-full-int-shape-dtype",
    "ca-full-traced",
    "ca-geomspace-negative-no-endpoint",
    "ca-geomspace-num1",
    "ca-geomspace-traced",
    "ca-hamming-times-x",
    "ca-hanning-times-x",
    "ca-histogram-edges-weights",
    "ca-identity-plus-x",
)


EIG_ROWS = (
    "cx-linalg-eigvals-abs",
    "eig-(3,3)",
    "eig-complex-(2,3,3)",
    "eigvals-(2,3,3)",
    "x3-roots-complex",
    "x3-roots-conjugate-pairs",
    "x3-roots-real",
    "x3-roots-zeros-trimmed",
)


INPLACE_API_ROWS = (
    "x3-copyto-complex",
    "x3-copyto-where",
    "x3-fill_diagonal",
    "x3-fill_diagonal-3d-complex",
    "x3-fill_diagonal-tall-wrap",
    "x3-packbits-axis1-little",
    "x3-packbits-flat-bool",
    "x3-place",
    "x3-place-complex-cyclic",
    "x3-put",
    "x3-put-wrap-complex",
    "x3-putmask",
    "x3-unpackbits-axis0-count",
    "x3-unpackbits-flat-count",
)


INTEGRATE_ROWS = (
    "ig-odeint",
    "ig-odeint-fwd2",
    "ig-quad",
    "ig-quad-inf",
    "ig-quad_vec",
    "ig-solve_ivp-BDF",
    "ig-solve_ivp-BDF-fwd2",
    "ig-solve_ivp-RK45",
    "ig-solve_ivp-RK45-fwd2",
)


NUMPY_WRAPPERS_ROWS = (
    "cb-nanargmax-axis1",
    "cb-nanargmax-keepdims-neg",
    "cb-nanargmax-ties-all",
    "cb-nanargmin-axis0",
    "cb-nanargmin-ties",
    "cb-nanmedian-all",
    "cb-nanmedian-axis1",
    "cb-nanmedian-keepdims-neg",
    "cb-nanpercentile-midpoint",
    "cb-nanpercentile-q-array",
    "cb-nanquantile-nearest-all",
    "cb-nanquantile-no-nan",
    "cb-nanquantile-q-array-keepdims",
    "cb-percentile-axis1",
    "cb-percentile-higher",
    "cb-percentile-lower",
    "cb-percentile-midpoint",
    "cb-percentile-nearest",
    "cb-percentile-q-array-all",
    "cb-polyfit-2d-y",
    "cb-polyfit-x-y-w",
    "cb-polyfit-y",
    "cb-trim_zeros",
    "cb-trim_zeros-b-2d-axis",
    "cb-trim_zeros-f",
    "cholesky-primitive-of-gram",
    "fftfreq-d",
    "gradient-coords",
    "matrix_rank",
    "median-keepdims",
    "poly",
    "quantile-axis1",
    "rfftfreq-d",
    "sl-pinv",
    "sl-pinv-complex",
)


SCIPY_LINALG_ROWS = (
    "sl-coshm",
    "sl-coshm-complex",
    "sl-cosm",
    "sl-cosm-complex",
    "sl-eig",
    "sl-eig-complex",
    "sl-eig-right-false",
    "sl-eigvals",
    "sl-eigvals-generalized",
    "sl-expm",
    "sl-expm-batched",
    "sl-expm-complex",
    "sl-expm_frechet",
    "sl-expm_frechet-complex",
    "sl-expm_frechet-no-expm",
    "sl-logm",
    "sl-logm-complex",
    "sl-lu",
    "sl-lu-batched",
    "sl-lu-complex",
    "sl-lu-p_indices",
    "sl-lu-permute_l",
    "sl-lu-tall",
    "sl-lu-wide",
    "sl-lu_factor",
    "sl-lu_factor-complex",
    "sl-lu_factor-tall-complex",
    "sl-lu_solve-trans0",
    "sl-lu_solve-trans0-complex",
    "sl-lu_solve-trans1",
    "sl-lu_solve-trans1-complex",
    "sl-lu_solve-trans2",
    "sl-lu_solve-trans2-complex",
    "sl-schur-complex",
    "sl-schur-complex-input",
    "sl-schur-real",
    "sl-sinhm",
    "sl-sinhm-complex",
    "sl-sinm",
    "sl-sinm-complex",
    "sl-solve_continuous_lyapunov",
    "sl-solve_continuous_lyapunov-complex",
    "sl-solve_sylvester",
    "sl-solve_sylvester-batched",
    "sl-solve_sylvester-complex",
    "sl-sqrtm",
    "sl-sqrtm-batched",
    "sl-sqrtm-complex",
    "sl-tanhm",
    "sl-tanhm-complex",
    "sl-tanm",
    "sl-tanm-complex",
)


SIGNAL_FILTER_ROWS = (
    "sg-lfilter",
    "sg-lfilter-a0",
    "sg-lfilter-axis0",
    "sg-lfilter-complex",
    "sg-lfilter-fir",
    "sg-lfilter-zi",
    "sg-lfilter-zi-short",
    "sg-sosfilt",
    "sg-sosfilt-zi",
)


SPECIAL_ROWS = (
    "sc-betainc-edges",
    "sc-betaincc-edges",
    "sc-betaincc-x",
    "sc-betainccinv-edges",
    "sc-betaincinv-edges",
    "sc-comb-large",
    "sc-dawsn-large",
    "sc-fresnel-large",
    "sc-gammainc-small-x",
    "sc-gammaincc-large-a",
    "sc-gammainccinv-edges",
    "sc-gammaincinv-edges",
    "sc-hyp1f1-large-x",
    "sc-hyp1f1-params-large-x",
    "sc-hyp1f1-params-negative-a",
    "sc-hyp2f1-near-1",
    "sc-hyp2f1-params-near-1",
    "sc-hyp2f1-params-negative-z",
    "sc-ive-large",
    "sc-kve-large",
    "sc-lambertw-large",
    "sc-lambertw-near-branch",
    "sc-ndtri_exp-tail",
    "sc-owens_t-large-a",
    "sc-poch-negative-z",
    "sc-wofz-large",
    "sc-zeta-q-large",
    "sc-zeta-q-near-0",
    "sc-zeta-riemann-x-far-negative",
    "sc-zeta-x-large",
    "sc-zeta-x-near-1",
    "si-betainc",
    "si-betainc-small",
    "si-betainc_da",
    "si-betainc_da-x",
    "si-betainc_daa-x",
    "si-betainc_dab-x",
    "si-betainc_db",
    "si-betainc_db-x",
    "si-betainc_dbb-x",
    "si-betaincc",
    "si-betaincc-large",
    "si-betainccinv",
    "si-betainccinv-y",
    "si-betaincinv",
    "si-betaincinv-mixed",
    "si-dawsn",
    "si-gammainc",
    "si-gammainc-small",
    "si-gammainc_da",
    "si-gammainc_da-x",
    "si-gammainc_daa-x",
    "si-gammaincc",
    "si-gammaincc-large",
    "si-gammainccinv",
    "si-gammaincinv",
    "si-gammaincinv-small",
    "si-gammasgn",
    "si-ndtri_exp",
    "sm-binom",
    "sm-comb",
    "sm-fresnel",
    "sm-hyp1f1",
    "sm-hyp1f1-params",
    "sm-hyp1f1_dp",
    "sm-hyp2f1",
    "sm-hyp2f1-params",
    "sm-hyp2f1_dp",
    "sm-iv-order",
    "sm-iv-order-near0",
    "sm-iv_dv",
    "sm-iv_dvv-x",
    "sm-ive",
    "sm-ive-integer-orders",
    "sm-ive-order",
    "sm-ive_dv",
    "sm-ive_dvv-x",
    "sm-jv-order",
    "sm-jv-order-large-x",
    "sm-jv_dv",
    "sm-jv_dvv-x",
    "sm-kv-order",
    "sm-kv-order-small-x",
    "sm-kv_dv",
    "sm-kv_dvv-x",
    "sm-kve",
    "sm-kve-complex",
    "sm-kve-order",
    "sm-kve_dv",
    "sm-kve_dvv-x",
    "sm-lambertw",
    "sm-owens_t",
    "sm-poch",
    "sm-wofz",
    "sm-wofz-real",
    "sm-yv-order",
    "sm-yv-order-large-x",
    "sm-yv_dv",
    "sm-yv_dvv-x",
    "sm-zeta",
    "sm-zeta-q",
    "sm-zeta-riemann",
    "sm-zeta-riemann-x",
    "sm-zeta-riemann-x-critical",
    "sm-zeta-riemann-x-negative",
    "sm-zeta_dx",
)


STATS_SPECIAL_ROWS = (
    "s2-beta-cdf",
    "s2-beta-isf",
    "s2-beta-logcdf",
    "s2-beta-logsf",
    "s2-beta-ppf",
    "s2-beta-sf",
    "s2-chi-cdf",
    "s2-chi-isf",
    "s2-chi-logcdf",
    "s2-chi-logsf",
    "s2-chi-ppf",
    "s2-chi-sf",
    "s2-chi2-cdf",
    "s2-chi2-isf",
    "s2-chi2-logcdf",
    "s2-chi2-logsf",
    "s2-chi2-ppf",
    "s2-chi2-sf",
    "s2-gamma-cdf",
    "s2-gamma-isf",
    "s2-gamma-logcdf",
    "s2-gamma-logsf",
    "s2-gamma-ppf",
    "s2-gamma-sf",
    "s2-gennorm-cdf",
    "s2-gennorm-isf",
    "s2-gennorm-logcdf",
    "s2-gennorm-logsf",
    "s2-gennorm-ppf",
    "s2-gennorm-sf",
    "s2-invgamma-cdf",
    "s2-invgamma-isf",
    "s2-invgamma-logcdf",
    "s2-invgamma-logsf",
    "s2-invgamma-ppf",
    "s2-invgamma-sf",
    "s2-skewnorm-cdf",
    "s2-skewnorm-isf",
    "s2-skewnorm-logcdf",
    "s2-skewnorm-logsf",
    "s2-skewnorm-ppf",
    "s2-skewnorm-sf",
    "s2-truncnorm-isf",
    "s2-truncnorm-ppf",
    "sd-nbinom-logcdf",
    "sd-nbinom-logsf",
    "sd-nbinom-sf",
    "st-t-cdf",
    "st-t-isf",
    "st-t-logcdf",
    "st-t-logsf",
    "st-t-ppf",
    "st-t-sf",
)


STATS_WRAPPERS_ROWS = (
    "sd-bernoulli-isf",
    "sd-bernoulli-ppf",
    "sd-betabinom-cdf",
    "sd-betabinom-entropy",
    "sd-betabinom-isf",
    "sd-betabinom-logcdf",
    "sd-betabinom-logpmf",
    "sd-betabinom-logsf",
    "sd-betabinom-pmf",
    "sd-betabinom-ppf",
    "sd-betabinom-sf",
    "sd-binom-cdf",
    "sd-binom-entropy",
    "sd-binom-isf",
    "sd-binom-logcdf",
    "sd-binom-logpmf",
    "sd-binom-logsf",
    "sd-binom-pmf",
    "sd-binom-ppf",
    "sd-binom-sf",
    "sd-geom-isf",
    "sd-geom-ppf",
    "sd-hypergeom-cdf",
    "sd-hypergeom-entropy",
    "sd-hypergeom-isf",
    "sd-hypergeom-logcdf",
    "sd-hypergeom-logsf",
    "sd-hypergeom-ppf",
    "sd-hypergeom-sf",
    "sd-nbinom-entropy",
    "sd-nbinom-isf",
    "sd-nbinom-logpmf",
    "sd-nbinom-pmf",
    "sd-nbinom-ppf",
    "sd-poisson-entropy",
    "sd-poisson-isf",
    "sd-poisson-ppf",
    "sd-randint-isf",
    "sd-randint-ppf",
    "sd-zipf-isf",
    "sd-zipf-ppf",
    "sm2-dirichlet-cov",
    "sm2-dirichlet-entropy",
    "sm2-dirichlet-logpdf",
    "sm2-dirichlet-mean",
    "sm2-dirichlet-pdf",
    "sm2-dirichlet-var",
    "sm2-invwishart-entropy",
    "sm2-invwishart-logpdf",
    "sm2-invwishart-logpdf-one",
    "sm2-invwishart-mean",
    "sm2-invwishart-mode",
    "sm2-invwishart-pdf",
    "sm2-invwishart-var",
    "sm2-multinomial-cov",
    "sm2-multinomial-entropy",
    "sm2-multinomial-logpmf",
    "sm2-multinomial-mean",
    "sm2-multinomial-pmf",
    "sm2-multivariate_normal-entropy",
    "sm2-multivariate_normal-frozen-logpdf",
    "sm2-multivariate_normal-logpdf",
    "sm2-multivariate_normal-logpdf-diag",
    "sm2-multivariate_normal-logpdf-scalar-cov",
    "sm2-multivariate_normal-pdf",
    "sm2-multivariate_t-entropy",
    "sm2-multivariate_t-frozen-logpdf",
    "sm2-multivariate_t-logpdf",
    "sm2-multivariate_t-pdf",
    "sm2-wishart-entropy",
    "sm2-wishart-logpdf",
    "sm2-wishart-logpdf-one",
    "sm2-wishart-mean",
    "sm2-wishart-mode",
    "sm2-wishart-pdf",
    "sm2-wishart-var",
)


WINDOWS_ROWS = (
    "sg-savgol_coeffs",
    "sg-exponential",
    "sg-gaussian",
    "sg-general_cosine",
    "sg-general_gaussian",
    "sg-general_hamming",
    "sg-get_window-kaiser",
    "sg-kaiser",
    "sg-kaiser-periodic",
    "sg-savgol_filter-constant",
    "sg-tukey",
    "sg-windows-get_window-gaussian",
)


# family -> (expected outcome, reason, row names)
FAMILIES = {
    "scipy_linalg": (
        "refused",
        (
            "scipy.linalg routines that run through SciPy's LAPACK on the host (expm and the "
            "matrix functions, logm, sqrtm, schur, lu and lu_solve, sylvester/lyapunov, eig): a"
            " DeviceError names them; cupyx.scipy.linalg counterparts are a later step of the "
            "GPU issue"
        ),
        SCIPY_LINALG_ROWS,
    ),
    "eig": (
        "refused",
        (
            "the general eigenproblem (numpy.linalg.eig, and roots through it) runs on the host"
            " in this seam (eig_p's impl is NumPy/LAPACK host code): a DeviceError names it"
        ),
        EIG_ROWS,
    ),
    "special": (
        "refused",
        (
            "special functions, or their derivative kernels, with no device implementation: "
            "SciPy ufuncs that cupyx.scipy.special lacks (hyp1f1, hyp2f1, ive, kve, owens_t, "
            "poch, wofz, dawsn, ...) and fluxion's NumPy series kernels (d/da of the incomplete"
            " gamma and beta functions, Bessel order derivatives): a DeviceError names the "
            "primitive"
        ),
        SPECIAL_ROWS,
    ),
    "stats_special": (
        "refused",
        (
            "scipy.stats methods built on a special function of the family above (the t, beta, "
            "gamma, chi2 cdfs through betainc/gammainc derivatives; skewnorm through owens_t): "
            "a DeviceError names the primitive"
        ),
        STATS_SPECIAL_ROWS,
    ),
    "signal_filter": (
        "refused",
        (
            "scipy.signal.lfilter and sosfilt run SciPy's C loops on the host: a DeviceError "
            "names lfilter"
        ),
        SIGNAL_FILTER_ROWS,
    ),
    "integrate": (
        "refused",
        (
            "fluxion.integrate (odeint, solve_ivp, quad, quad_vec) solves with scipy.integrate "
            "on the host: a DeviceError names the function"
        ),
        INTEGRATE_ROWS,
    ),
    "stats_wrappers": (
        "xfail",
        (
            "scipy.stats wrappers not device-ready yet: the discrete and multivariate families "
            "read parameters with numpy.asarray, and host defaults (0-d loc, n, bounds) meet "
            "device arrays in NumPy operators (a raw TypeError; next step: put the parameters "
            "on the point's device in _parse)"
        ),
        STATS_WRAPPERS_ROWS,
    ),
    "creation_mix": (
        "xfail",
        (
            "the row combines a host array from a creation function (eye, arange, identity, "
            "windows, full, geomspace, fromfunction, empty) with a device array through a NumPy"
            " operator, or passes a device fill value to a host creation: CuPy refuses that mix"
            " too (create the constant with the device's namespace)"
        ),
        CREATION_MIX_ROWS,
    ),
    "inplace_api": (
        "xfail",
        (
            "NumPy's in-place API (put, place, putmask, copyto, fill_diagonal) requires a "
            "numpy.ndarray target, and packbits/unpackbits read their input with numpy.asarray:"
            " not device-ready yet"
        ),
        INPLACE_API_ROWS,
    ),
    "windows": (
        "xfail",
        (
            "scipy.signal windows with array parameters (kaiser, gaussian, tukey, general_*, "
            "exponential) savgol_filter's constant mode and savgol_coeffs (a host result from a"
            " device delta) build host constants that meet device arrays in NumPy operators: "
            "not device-ready yet"
        ),
        WINDOWS_ROWS,
    ),
    "numpy_wrappers": (
        "xfail",
        (
            "fluxion.numpy wrappers that build a host constant or read the input with "
            "numpy.asarray (nan-reductions, percentile/quantile/median interpolation, polyfit, "
            "trim_zeros, gradient with coordinates, poly, matrix_rank, fftfreq with an array d,"
            " pinv's rank test): not device-ready yet"
        ),
        NUMPY_WRAPPERS_ROWS,
    ),
}
