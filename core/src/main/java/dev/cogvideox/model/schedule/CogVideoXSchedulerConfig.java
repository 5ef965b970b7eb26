package dev.cogvideox.model.schedule;

import dev.cogvideox.io.ConfigRange;
import dev.cogvideox.io.JsonConfig;
import dev.cogvideox.io.ModelFormatException;

import java.nio.file.Path;

/**
 * {@code scheduler/scheduler_config.json} of a CogVideoX model; both scheduler classes take the same keys.
 *
 * <p>Keys whose diffusers default is not the CogVideoX value ({@code prediction_type}, {@code timestep_spacing},
 * {@code rescale_betas_zero_snr}) or differs between the published models ({@code snr_shift_scale}: 3.0 for 2b,
 * 1.0 for 5b and 1.5) are required: a file without them was not written for CogVideoX and would silently give
 * another schedule. The other keys default as in diffusers. {@code clip_sample}, {@code clip_sample_range} and
 * {@code sample_max_value} are read by diffusers but never used by these two classes; unknown keys are ignored.
 *
 * @param className            {@code _class_name}: {@code CogVideoXDDIMScheduler} or {@code CogVideoXDPMScheduler}
 * @param numTrainTimesteps    {@code num_train_timesteps} (1000)
 * @param betaStart            {@code beta_start} (0.00085)
 * @param betaEnd              {@code beta_end} (0.012)
 * @param betaSchedule         {@code beta_schedule}; only {@code scaled_linear} (the CogVideoX value) is supported
 * @param predictionType       {@code prediction_type}
 * @param timestepSpacing      {@code timestep_spacing}
 * @param stepsOffset          {@code steps_offset} (0), used by the leading spacing only, as in diffusers
 * @param setAlphaToOne        {@code set_alpha_to_one} (true): alpha_bar before the first training step is 1
 * @param rescaleBetasZeroSnr  {@code rescale_betas_zero_snr}
 * @param snrShiftScale        {@code snr_shift_scale}
 */
public record CogVideoXSchedulerConfig(String className, int numTrainTimesteps, double betaStart, double betaEnd,
                                       String betaSchedule, PredictionType predictionType,
                                       TimestepSpacing timestepSpacing, int stepsOffset, boolean setAlphaToOne,
                                       boolean rescaleBetasZeroSnr, double snrShiftScale) {
    public static final String DDIM = "CogVideoXDDIMScheduler";
    public static final String DPM = "CogVideoXDPMScheduler";
    /** Upper bound of {@code num_train_timesteps}: the schedule's tables hold one value per training step (1000 published). */
    public static final int MAX_TRAIN_TIMESTEPS = 100_000;

    /** What the model predicts: {@code epsilon} (noise), {@code sample} (x_0) or {@code v_prediction}. */
    public enum PredictionType {
        EPSILON("epsilon"), SAMPLE("sample"), V_PREDICTION("v_prediction");

        private final String key;

        PredictionType(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        static PredictionType of(String source, String value) {
            for (PredictionType p : values()) {
                if (p.key.equals(value)) {
                    return p;
                }
            }
            throw new ModelFormatException(source + ": prediction_type '" + value
                    + "' is not one of epsilon, sample, v_prediction");
        }
    }

    /** How {@code set_timesteps} spaces the inference timesteps (Table 2 of arXiv:2305.08891). */
    public enum TimestepSpacing {
        LINSPACE("linspace"), LEADING("leading"), TRAILING("trailing");

        private final String key;

        TimestepSpacing(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        static TimestepSpacing of(String source, String value) {
            for (TimestepSpacing s : values()) {
                if (s.key.equals(value)) {
                    return s;
                }
            }
            throw new ModelFormatException(source + ": timestep_spacing '" + value
                    + "' is not one of linspace, leading, trailing");
        }
    }

    public CogVideoXSchedulerConfig {
        if (!DDIM.equals(className) && !DPM.equals(className)) {
            throw new IllegalArgumentException("scheduler class '" + className + "' is not " + DDIM + " or " + DPM);
        }
        ConfigRange.intIn("num_train_timesteps", numTrainTimesteps, 1, MAX_TRAIN_TIMESTEPS, "the training noise levels; 1000");
        if (!(betaStart >= 0 && betaEnd >= betaStart && betaEnd > 0 && betaEnd < 1)) {
            throw new IllegalArgumentException("keys 'beta_start' " + betaStart + " and 'beta_end' " + betaEnd
                    + ": allowed 0 <= beta_start <= beta_end, 0 < beta_end < 1 (the noise added per training step; 0.00085 and 0.012)");
        }
        if (!"scaled_linear".equals(betaSchedule)) {
            throw new IllegalArgumentException("beta_schedule '" + betaSchedule + "' is not supported (CogVideoX uses scaled_linear)");
        }
        if (predictionType == null || timestepSpacing == null) {
            throw new IllegalArgumentException("prediction_type and timestep_spacing are required");
        }
        ConfigRange.intIn("steps_offset", stepsOffset, 0, numTrainTimesteps - 1, "added to the leading spacing's timesteps; 0");
        ConfigRange.positive("snr_shift_scale", snrShiftScale, 1e6, "the SNR shift of the schedule; 3.0 (2b) or 1.0 (5b, 1.5)");
    }

    /**
     * The same config for another scheduler class, as diffusers' {@code OtherScheduler.from_config(pipe.scheduler.config)}:
     * every key kept, only the class changes.
     */
    public CogVideoXSchedulerConfig withClassName(String name) {
        return new CogVideoXSchedulerConfig(name, numTrainTimesteps, betaStart, betaEnd, betaSchedule, predictionType, timestepSpacing,
                stepsOffset, setAlphaToOne, rescaleBetasZeroSnr, snrShiftScale);
    }

    /** Reads {@code file}; errors name the file and the key. */
    public static CogVideoXSchedulerConfig read(Path file) {
        JsonConfig c = JsonConfig.read(file);
        String src = c.source();
        for (String key : new String[]{"_class_name", "prediction_type", "timestep_spacing", "rescale_betas_zero_snr", "snr_shift_scale"}) {
            if (!c.has(key)) {
                throw new ModelFormatException(src + ": required key '" + key + "' is missing");
            }
        }
        if (c.has("trained_betas")) {
            throw new ModelFormatException(src + ": trained_betas is not supported (CogVideoX uses beta_schedule scaled_linear)");
        }
        try {
            return new CogVideoXSchedulerConfig(
                    c.requireString("_class_name"),
                    c.getInt("num_train_timesteps", 1000),
                    c.getDouble("beta_start", 0.00085),
                    c.getDouble("beta_end", 0.012),
                    c.getString("beta_schedule", "scaled_linear"),
                    PredictionType.of(src, c.requireString("prediction_type")),
                    TimestepSpacing.of(src, c.requireString("timestep_spacing")),
                    c.getInt("steps_offset", 0),
                    c.getBool("set_alpha_to_one", true),
                    c.getBool("rescale_betas_zero_snr", false),
                    c.requireDouble("snr_shift_scale"));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(src + ": " + e.getMessage(), e);
        }
    }
}
