package dev.cogvideox.model.cache;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cogvideox.model.Taps;
import dev.cogvideox.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * TeaCache's calibration for a new model (its authors' procedure: ali-vilab/TeaCache issue #2): run uncached
 * generations, record per step the relative L1 change of what the cache measures (here the time embedding, as the
 * CogVideoX port measures it) and of what skipping a step gets wrong, and fit a degree-4 polynomial mapping the one
 * to the other by least squares ({@code np.polyfit(x, y, 4)} over every step of every generation).
 *
 * <p>The generations run through the normal pipeline with {@code --cache teacache:0} (every step computed, bit for bit
 * the uncached loop): its {@link CacheReport#trace} gives the embedding's and the blocks' residual's change per step;
 * {@link #taps} measure the transformer's output (the pipeline's {@code noise_pred_raw.N}) step to step. Feed each
 * generation's report to {@link #add}, then {@link #fit}.
 */
public final class TeaCacheCalibration {
    /** What the polynomial predicts the change of. */
    public enum Target {
        /** The blocks' residual (output minus input of the block stack): what a skipped step reuses. */
        RESIDUAL,
        /** The transformer's output (its prediction): what TeaCache's authors fitted. */
        OUTPUT;

        public static Target parse(String text) {
            return switch (text.strip().toLowerCase(Locale.ROOT)) {
                case "residual" -> RESIDUAL;
                case "output" -> OUTPUT;
                default -> throw new IllegalArgumentException("'" + text + "': the fit target is residual or output");
            };
        }
    }

    /** Per generation and step: the embedding's, the residual's and the output's relative L1 change (NaN: none). */
    private final List<double[]> input = new ArrayList<>(), residual = new ArrayList<>(), output = new ArrayList<>();
    private final List<Double> outputChange = new ArrayList<>();
    private float[] previousOutput;

    /** Taps for one generation's run: they measure the output's change from step to step ({@code noise_pred_raw.N}). */
    public Taps taps() {
        return (name, t) -> {
            if (name.startsWith("noise_pred_raw.")) {
                int step = Integer.parseInt(name.substring("noise_pred_raw.".length()));
                measureOutput(step, t);
            }
        };
    }

    private void measureOutput(int step, Tensor out) {
        if (step == 0) {
            outputChange.clear();
            previousOutput = null;
        }
        while (outputChange.size() <= step) {
            outputChange.add(Double.NaN);
        }
        float[] now = out.data();
        outputChange.set(step, previousOutput == null ? Double.NaN : TeaCache.relativeL1(now, previousOutput));
        previousOutput = now.clone();
    }

    /** One generation's report (run with {@code teacache:0} and {@link #taps}): its steps become points. */
    public void add(CacheReport report) {
        CacheReport.Trace trace = report.trace();
        if (trace == null) {
            throw new IllegalArgumentException("the report of " + report.setting() + " has no TeaCache trace: calibrate with teacache:0");
        }
        if (report.computedSteps().size() != report.steps()) {
            throw new IllegalArgumentException("calibration needs every step computed (teacache:0); " + report.setting() + " skipped "
                    + report.skippedSteps());
        }
        double[] out = new double[report.steps()];
        Arrays.fill(out, Double.NaN);
        for (int i = 0; i < Math.min(out.length, outputChange.size()); i++) {
            out[i] = outputChange.get(i);
        }
        input.add(trace.inputChange().clone());
        residual.add(trace.residualChange().clone());
        output.add(out);
        outputChange.clear();
        previousOutput = null;
    }

    public int generations() {
        return input.size();
    }

    /**
     * The polynomial through every measured (embedding change, {@code target} change) point.
     *
     * @param steps per step (over generations of the same schedule): the mean embedding change and the mean change of
     *              each target, with the polynomial's value, for the record
     */
    public record Result(Target target, int retentionSteps, PolynomialFit fit, int points, double inputMin, double inputMax, List<StepMeans> steps) {
    }

    /** The means over the generations at one step. */
    public record StepMeans(int step, double inputChange, double residualChange, double outputChange, double predicted) {
    }

    /** The fit over the steps from {@code retentionSteps} on (the ones before always run: the polynomial does not decide them). */
    public Result fit(Target target, int retentionSteps) {
        if (retentionSteps < 1) {
            throw new IllegalArgumentException("retention steps must be at least 1 (the first step always runs), got " + retentionSteps);
        }
        List<double[]> ys = target == Target.RESIDUAL ? residual : output;
        List<Double> xs = new ArrayList<>(), yv = new ArrayList<>();
        int maxSteps = 0;
        for (int g = 0; g < input.size(); g++) {
            double[] x = input.get(g), y = ys.get(g);
            maxSteps = Math.max(maxSteps, x.length);
            for (int i = retentionSteps; i < x.length; i++) {
                if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                    xs.add(x[i]);
                    yv.add(y[i]);
                }
            }
        }
        if (xs.size() <= TeaCacheCoefficients.DEGREE) {
            throw new IllegalArgumentException("calibration has " + xs.size() + " measured steps; a degree-" + TeaCacheCoefficients.DEGREE
                    + " fit needs at least " + (TeaCacheCoefficients.DEGREE + 1) + " distinct steps after the " + retentionSteps
                    + " retention steps: run more steps");
        }
        double[] x = xs.stream().mapToDouble(Double::doubleValue).toArray();
        double[] y = yv.stream().mapToDouble(Double::doubleValue).toArray();
        PolynomialFit fit = PolynomialFit.fit(x, y, TeaCacheCoefficients.DEGREE);
        List<StepMeans> means = new ArrayList<>();
        for (int i = 1; i < maxSteps; i++) {
            double mx = mean(input, i), mr = mean(residual, i), mo = mean(output, i);
            means.add(new StepMeans(i, mx, mr, mo, Double.isFinite(mx) ? PolynomialFit.evaluate(fit.coefficients(), mx) : Double.NaN));
        }
        return new Result(target, retentionSteps, fit, x.length, Arrays.stream(x).min().orElseThrow(), Arrays.stream(x).max().orElseThrow(), means);
    }

    private static double mean(List<double[]> rows, int step) {
        double sum = 0;
        int n = 0;
        for (double[] r : rows) {
            if (step < r.length && Double.isFinite(r[step])) {
                sum += r[step];
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** The coefficients file: {@code coefficients} (what {@link TeaCacheCoefficients#read} takes), then {@code settings}, the fit and the step means. */
    public static String toJson(Result r, Map<String, Object> settings) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("coefficients", r.fit().coefficients());
        root.put("retention_steps", r.retentionSteps());
        root.put("polynomial", "degree 4, highest power first (np.poly1d order), of x = mean|e_t - e_prev| / mean|e_prev| with e the "
                + "transformer's time embedding, fitted over the steps from retention_steps on (the ones before always run)");
        root.put("fitted_to", r.target() == Target.RESIDUAL
                ? "the relative L1 change of the transformer blocks' residual (output minus input) from the previous step"
                : "the relative L1 change of the transformer's output (its prediction) from the previous step");
        root.putAll(settings);
        Map<String, Object> fit = new LinkedHashMap<>();
        fit.put("points", r.points());
        fit.put("rms_error", r.fit().rmsError());
        fit.put("r_squared", r.fit().rSquared());
        fit.put("input_range", new double[]{r.inputMin(), r.inputMax()});
        root.put("fit", fit);
        List<Map<String, Object>> steps = new ArrayList<>();
        for (StepMeans s : r.steps()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", s.step());
            m.put("input_change", finiteOrNull(s.inputChange()));
            m.put("residual_change", finiteOrNull(s.residualChange()));
            m.put("output_change", finiteOrNull(s.outputChange()));
            m.put("predicted", finiteOrNull(s.predicted()));
            steps.add(m);
        }
        root.put("step_means", steps);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write the calibration as JSON: " + e.getMessage(), e);
        }
    }

    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
