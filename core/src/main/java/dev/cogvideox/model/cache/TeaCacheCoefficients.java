package dev.cogvideox.model.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.io.JsonConfig;
import dev.cogvideox.io.ModelFormatException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The polynomial TeaCache rescales the time embedding's relative change with (degree 4, highest power first, as
 * {@code np.poly1d} takes it), the steps computed before it decides anything, and where they come from: a file
 * ({@code cache calibrate}'s output), the model folder's {@value #FILE}, or the published polynomial of the model's variant.
 *
 * @param polynomial     five coefficients, highest power first
 * @param retentionSteps the first steps always computed, at least 1: TeaCache's CogVideoX port computes the first step
 *                       only; its Wan2.1 port's {@code use_ret_steps} the first 5, with a polynomial fitted to the
 *                       steps after them (as {@code cache calibrate --retention-steps} fits)
 * @param source         for the user: which polynomial this is
 */
public record TeaCacheCoefficients(double[] polynomial, int retentionSteps, String source) {
    /** The file beside {@code model_index.json} whose polynomial TeaCache takes for that model (diffusers ignores it). */
    public static final String FILE = "teacache.json";
    /** TeaCache's polynomials are degree 4. */
    public static final int DEGREE = 4;

    /** The published rescaling polynomials (ali-vilab/TeaCache, see {@link TeaCache}), highest power first. */
    private static final double[] COEFFICIENTS_2B = {-3.10658903e+01, 2.54732368e+01, -5.92380459e+00, 1.75769064e+00, -3.61568434e-03};
    private static final double[] COEFFICIENTS_5B = {-1.53880483e+03, 8.43202495e+02, -1.34363087e+02, 7.97131516e+00, -5.23162339e-02};
    private static final double[] COEFFICIENTS_15 = {2.50210439e+02, -1.65061612e+02, 3.57804877e+01, -7.81551492e-01, 3.58559703e-02};
    private static final double[] COEFFICIENTS_15_I2V = {1.22842302e+02, -1.04088754e+02, 2.62981677e+01, -3.06009921e-01, 3.71213220e-02};

    public TeaCacheCoefficients {
        if (polynomial.length != DEGREE + 1) {
            throw new IllegalArgumentException(source + ": " + polynomial.length + " coefficients; TeaCache's polynomial is degree "
                    + DEGREE + ": give " + (DEGREE + 1) + " numbers, highest power first");
        }
        if (retentionSteps < 1) {
            throw new IllegalArgumentException(source + ": retention steps must be at least 1 (the first step always runs), got " + retentionSteps);
        }
        polynomial = polynomial.clone();
    }

    /** For the user: the source, and the retention steps when more than the first. */
    public String describe() {
        return source + (retentionSteps > 1 ? ", steps 0-" + (retentionSteps - 1) + " always computed" : "");
    }

    @Override
    public double[] polynomial() {
        return polynomial.clone();
    }

    /** The rescaled change: the polynomial at {@code x}. */
    public double rescale(double x) {
        return PolynomialFit.evaluate(polynomial, x);
    }

    /** The polynomial of {@code coefficients_dict} for a model variant (the 5b-I2V shares the 5b's). */
    public static TeaCacheCoefficients published(String variant) {
        double[] c = switch (variant) {
            case "2b" -> COEFFICIENTS_2B;
            case "5b", "5b-i2v" -> COEFFICIENTS_5B;
            case "1.5-5b" -> COEFFICIENTS_15;
            case "1.5-5b-i2v" -> COEFFICIENTS_15_I2V;
            default -> throw new IllegalArgumentException("TeaCache has no published coefficients for the " + variant
                    + " model: calibrate them (cogvideox cache calibrate --model DIR --out DIR/" + FILE + ")");
        };
        return new TeaCacheCoefficients(c, 1, "the published CogVideoX-" + variant + " polynomial");
    }

    /**
     * The polynomial for a model: {@code file} when given, else the model folder's {@value #FILE} when there is one,
     * else the published one of {@code variant}.
     */
    public static TeaCacheCoefficients resolve(Path file, Path modelDir, String variant) {
        if (file != null) {
            return read(file);
        }
        if (modelDir != null && Files.exists(modelDir.resolve(FILE))) {
            return read(modelDir.resolve(FILE));
        }
        return published(variant);
    }

    /** Reads the {@code coefficients} of a calibration file; errors name the file and say what is wrong. */
    public static TeaCacheCoefficients read(Path file) {
        if (!Files.exists(file)) {
            throw new ModelFormatException(file + ": no such TeaCache coefficients file (write one with cogvideox cache calibrate --out "
                    + file + ")");
        }
        JsonConfig json = JsonConfig.read(file);
        if (!json.has("coefficients")) {
            throw new ModelFormatException(file + ": no \"coefficients\" key (a TeaCache coefficients file has "
                    + "\"coefficients\": [" + (DEGREE + 1) + " numbers, highest power first], as cogvideox cache calibrate writes)");
        }
        JsonNode list = json.root().get("coefficients");
        if (!list.isArray()) {
            throw new ModelFormatException(file + ": \"coefficients\" must be a list of " + (DEGREE + 1) + " numbers, got " + list);
        }
        if (list.size() != DEGREE + 1) {
            throw new ModelFormatException(file + ": \"coefficients\" has " + list.size() + " numbers; TeaCache's polynomial is degree "
                    + DEGREE + ": " + (DEGREE + 1) + " numbers, highest power first");
        }
        double[] c = new double[list.size()];
        for (int i = 0; i < c.length; i++) {
            JsonNode v = list.get(i);
            if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
                throw new ModelFormatException(file + ": \"coefficients\"[" + i + "] is " + v + ", not a finite number");
            }
            c[i] = v.asDouble();
        }
        int retention = 1;
        if (json.has("retention_steps")) {
            JsonNode r = json.root().get("retention_steps");
            if (!r.canConvertToInt() || !r.isIntegralNumber() || r.asInt() < 1) {
                throw new ModelFormatException(file + ": \"retention_steps\" must be a whole number of steps, at least 1, got " + r);
            }
            retention = r.asInt();
        }
        String model = json.root().path("model").asText("");
        return new TeaCacheCoefficients(c, retention, file + (model.isEmpty() ? "" : " (fitted to " + model + ")"));
    }
}
