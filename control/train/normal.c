/* Inverse standard normal CDF for the ALIE attack's z. */
#include <math.h>

#include "byz/attack.h"
#include "byz/err.h"

/* Rational approximations of P. J. Acklam (relative error 1.15e-9), then
 * one Halley step on erfc, which brings the error to rounding level. */
static const double A[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
			    -2.759285104469687e+02, 1.383577518672690e+02,
			    -3.066479806614716e+01, 2.506628277459239e+00};
static const double B[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
			    -1.556989798598866e+02, 6.680131188771972e+01,
			    -1.328068155288572e+01};
static const double C[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
			    -2.400758277161838e+00, -2.549732539343734e+00,
			    4.374664141464968e+00, 2.938163982698783e+00};
static const double D[4] = {7.784695709041462e-03, 3.224671290700398e-01,
			    2.445134137142996e+00, 3.754408661907416e+00};

static double tail(double q)
{
	return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q +
		C[5]) /
	       ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0);
}

double byz_norm_ppf(double p)
{
	if (!(p >= 0.0 && p <= 1.0))
		return NAN;
	if (p == 0.0)
		return -INFINITY;
	if (p == 1.0)
		return INFINITY;
	const double plow = 0.02425;
	double x;
	if (p < plow) {
		x = tail(sqrt(-2.0 * log(p)));
	} else if (p > 1.0 - plow) {
		x = -tail(sqrt(-2.0 * log1p(-p)));
	} else {
		double q = p - 0.5, r = q * q;
		x = (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r +
		     A[5]) * q /
		    (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r +
		     1.0);
	}
	/* Halley refinement: e = Phi(x) - p. */
	double e = 0.5 * erfc(-x / M_SQRT2) - p;
	double u = e * sqrt(2.0 * M_PI) * exp(0.5 * x * x);
	return x - u / (1.0 + 0.5 * x * u);
}

int byz_alie_z(uint32_t n, uint32_t f, double *z)
{
	if (!z || !n)
		return -EINVAL;
	/* s = floor(n/2 + 1) - f: how many honest peers the attackers must
	 * win over to sit at the median of the sorted coordinates. */
	long s = (long)(n / 2 + 1) - (long)f;
	if (s < 1 || (uint32_t)s >= n)
		return -EINVAL;
	*z = byz_norm_ppf((double)(n - (uint32_t)s) / n);
	return 0;
}
