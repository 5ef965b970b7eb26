package dev.cogvideox.model.cache;

/**
 * Least-squares polynomial fit, as {@code numpy.polyfit(x, y, degree)} computes it: the coefficients, highest power
 * first ({@code np.poly1d} order), that minimise the summed squared error over the points. Like numpy, the
 * Vandermonde columns are scaled to unit norm before solving (powers of small x span many orders of magnitude);
 * the solve is a Householder QR in float64 (numpy uses an SVD: the same minimiser when the columns are independent).
 *
 * @param coefficients highest power first
 * @param rmsError     root mean square of {@code poly(x_i) - y_i}
 * @param rSquared     {@code 1 - SSE / SST} (1 when y is constant and fitted exactly)
 */
public record PolynomialFit(double[] coefficients, double rmsError, double rSquared) {

    /** Fits a polynomial of {@code degree} to the points; needs more distinct x values than {@code degree}. */
    public static PolynomialFit fit(double[] x, double[] y, int degree) {
        if (x.length != y.length) {
            throw new IllegalArgumentException(x.length + " x values but " + y.length + " y values");
        }
        if (degree < 0) {
            throw new IllegalArgumentException("degree must be at least 0, got " + degree);
        }
        int n = x.length, m = degree + 1;
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
                throw new IllegalArgumentException("point " + i + " is not finite: (" + x[i] + ", " + y[i] + ")");
            }
        }
        long distinct = java.util.Arrays.stream(x).distinct().count();
        if (distinct < m) {
            throw new IllegalArgumentException("a degree-" + degree + " fit needs at least " + m + " distinct x values, got " + distinct);
        }
        // Vandermonde matrix, column j holding x^(degree - j), each column scaled to unit norm
        double[][] a = new double[n][m];
        double[] scale = new double[m];
        for (int j = 0; j < m; j++) {
            double norm = 0;
            for (int i = 0; i < n; i++) {
                a[i][j] = Math.pow(x[i], degree - j);
                norm += a[i][j] * a[i][j];
            }
            scale[j] = Math.sqrt(norm);
            for (int i = 0; i < n; i++) {
                a[i][j] /= scale[j];
            }
        }
        double[] b = y.clone();
        // Householder QR: reflect column k below the diagonal onto its first entry, apply to the rest and to b
        for (int k = 0; k < m; k++) {
            double norm = 0;
            for (int i = k; i < n; i++) {
                norm += a[i][k] * a[i][k];
            }
            norm = Math.sqrt(norm);
            if (norm == 0) {
                throw new IllegalArgumentException("the points do not determine a degree-" + degree + " polynomial (rank deficient)");
            }
            double alpha = a[k][k] > 0 ? -norm : norm;
            double[] v = new double[n];
            v[k] = a[k][k] - alpha;
            for (int i = k + 1; i < n; i++) {
                v[i] = a[i][k];
            }
            double vv = 0;
            for (int i = k; i < n; i++) {
                vv += v[i] * v[i];
            }
            for (int j = k; j < m; j++) {
                reflect(a, j, v, vv, k, n);
            }
            double dot = 0;
            for (int i = k; i < n; i++) {
                dot += v[i] * b[i];
            }
            for (int i = k; i < n; i++) {
                b[i] -= 2 * dot / vv * v[i];
            }
        }
        // back substitution on R c = Q^T b, then undo the column scaling
        double[] c = new double[m];
        for (int k = m - 1; k >= 0; k--) {
            double s = b[k];
            for (int j = k + 1; j < m; j++) {
                s -= a[k][j] * c[j];
            }
            if (Math.abs(a[k][k]) < 1e-13) {
                throw new IllegalArgumentException("the points do not determine a degree-" + degree + " polynomial (rank deficient)");
            }
            c[k] = s / a[k][k];
        }
        for (int j = 0; j < m; j++) {
            c[j] /= scale[j];
        }
        double mean = java.util.Arrays.stream(y).average().orElse(0);
        double sse = 0, sst = 0;
        for (int i = 0; i < n; i++) {
            double e = evaluate(c, x[i]) - y[i];
            sse += e * e;
            sst += (y[i] - mean) * (y[i] - mean);
        }
        return new PolynomialFit(c, Math.sqrt(sse / n), sst == 0 ? (sse == 0 ? 1 : 0) : 1 - sse / sst);
    }

    private static void reflect(double[][] a, int column, double[] v, double vv, int from, int n) {
        double dot = 0;
        for (int i = from; i < n; i++) {
            dot += v[i] * a[i][column];
        }
        double f = 2 * dot / vv;
        for (int i = from; i < n; i++) {
            a[i][column] -= f * v[i];
        }
    }

    /** {@code np.poly1d(c)(x)}: Horner, highest power first. */
    public static double evaluate(double[] coefficients, double x) {
        double y = 0;
        for (double v : coefficients) {
            y = y * x + v;
        }
        return y;
    }
}
