package dev.cogvideox.cli;

import dev.cogvideox.data.caption.Captioner;
import dev.cogvideox.data.caption.ChatClient;
import dev.cogvideox.data.caption.Endpoint;
import dev.cogvideox.data.job.ClipSettings;
import dev.cogvideox.data.job.DataJob;
import dev.cogvideox.data.rules.Rules;
import dev.cogvideox.data.select.Selection;
import dev.cogvideox.progress.ProgressBar;
import dev.cogvideox.train.data.LatentCache;
import dev.cogvideox.train.run.Stage;
import dev.cogvideox.train.run.StageData;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code cogvideox data}: the CogVideoX paper's data pipeline, from raw videos to a filtered, captioned training set. */
@Command(name = "data", description = "Training data from raw videos (the CogVideoX paper's pipeline, on Spark).",
        subcommands = {DataCommand.Prepare.class, DataCommand.Select.class, DataCommand.Precompute.class})
final class DataCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    @Command(name = "prepare", description = {"Split videos into clips at scene cuts, measure each clip (motion, held frames, sharpness, "
            + "exposure, text and screen content), filter them by rules (each verdict with its reason), score and caption the kept ones "
            + "with your vision and language models (OpenAI-compatible chat servers), and write a dataset `train --data` reads: OUTPUT/clips/, "
            + "OUTPUT/clips.jsonl, OUTPUT/manifest.parquet (every clip, feature, score, verdict and caption) and OUTPUT/report.html.",
            "Exit code: 0 done, 1 done but some inputs or clips failed (the manifest and report say why), 2 the run could not start."})
    static final class Prepare implements Callable<Integer> {
        @Option(names = "--input", required = true, description = "A folder of videos (searched in subfolders too) or a list file, one "
                + "video path a line (relative to the list's folder).")
        Path input;

        @Option(names = {"-o", "--output"}, required = true, description = "The dataset folder (created; a rerun replaces what an earlier "
                + "run wrote there and reuses its cached answers).")
        Path output;

        @Option(names = "--master", description = "Spark master: local[N] (N videos at once in this JVM), spark://HOST:PORT (a standalone "
                + "cluster: the input and output folders must be the same path on every worker) (default: spark-submit's, else "
                + DataJob.DEFAULT_MASTER + ").")
        String master;

        @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting, as spark-submit's --conf; repeatable (default: none).")
        Map<String, String> conf = new LinkedHashMap<>();

        @Option(names = "--rules", description = "A JSON file of rule thresholds over the defaults, e.g. {\"static\": {\"min_motion\": 0.02}, "
                + "\"lecture\": {\"enabled\": false}} (default: the built-in rules, listed in the report).")
        Path rules;

        @Option(names = "--vlm", paramLabel = "URL", description = "A vision-language model's OpenAI-compatible server (e.g. "
                + "http://host:8000/v1) for the short and per-frame captions and the quality score (default: none; clips get an empty caption).")
        String vlm;

        @Option(names = "--vlm-model", defaultValue = "default", description = "The model name sent to --vlm (default: ${DEFAULT-VALUE}).")
        String vlmModel;

        @Option(names = "--llm", paramLabel = "URL", description = "A language model's server that merges the captions into the long one "
                + "(default: --vlm's).")
        String llm;

        @Option(names = "--llm-model", description = "The model name sent to --llm (default: --vlm-model).")
        String llmModel;

        @Option(names = "--api-key-env", paramLabel = "VAR", description = "An environment variable holding the servers' API key, sent as a "
                + "bearer token (default: none sent).")
        String apiKeyEnv;

        @Option(names = "--score", description = "Ask --vlm for a quality score from 1 to 10 and reject clips under the low_quality_score "
                + "rule's threshold (the paper's aesthetic filter) (default: off).")
        boolean score;

        @Option(names = "--caption-frames", defaultValue = "4", description = "Frames of each clip, spread evenly, the models are shown "
                + "(default: ${DEFAULT-VALUE}).")
        int captionFrames;

        @Option(names = "--timeout", defaultValue = "120", description = "Seconds to wait for one answer (default: ${DEFAULT-VALUE}).")
        double timeout;

        @Option(names = "--retries", defaultValue = "3", description = "Tries again after a timeout, a connection failure, 429 or 5xx, "
                + "pausing 0.5 s, 1 s, 2 s, ... (default: ${DEFAULT-VALUE}).")
        int retries;

        @Option(names = "--rate-limit", defaultValue = "0", paramLabel = "N", description = "At most N requests a minute to each server from "
                + "each executor (default: no limit).")
        double rateLimit;

        @Option(names = "--cache", description = "Folder of the answers already paid for, shared by reruns (default: OUTPUT/cache).")
        Path cache;

        @Override
        public Integer call() throws Exception {
            Path out = output.toAbsolutePath().normalize();
            Rules r = rules == null ? Rules.defaults() : Rules.read(rules);
            if (captionFrames < 1) {
                throw new IllegalArgumentException("--caption-frames " + captionFrames + ": give at least 1");
            }
            if (timeout <= 0 || retries < 0 || rateLimit < 0) {
                throw new IllegalArgumentException("--timeout must be > 0, --retries and --rate-limit >= 0");
            }
            Captioner.Settings captions = null;
            if (vlm == null && (llm != null || score)) {
                throw new IllegalArgumentException((score ? "--score" : "--llm") + " needs --vlm (the vision model that sees the clips)");
            }
            if (vlm != null) {
                String key = null;
                if (apiKeyEnv != null) {
                    key = System.getenv(apiKeyEnv);
                    if (key == null || key.isBlank()) {
                        throw new IllegalArgumentException("--api-key-env " + apiKeyEnv + ": that environment variable is not set");
                    }
                }
                Path cacheDir = (cache == null ? out.resolve("cache") : cache).toAbsolutePath().normalize();
                captions = new Captioner.Settings(new Endpoint(vlm, vlmModel, key),
                        llm == null ? null : new Endpoint(llm, llmModel == null ? vlmModel : llmModel, key), score,
                        new ChatClient.Settings(timeout, retries, 0.5, rateLimit, cacheDir.toString()));
            }
            ClipSettings clips = new ClipSettings(out.toString(), r, captions, captionFrames);
            ProgressBar bar = ProgressBar.forConsole(System.err);
            if (captions == null) {
                bar.println("no --vlm: the kept clips get an empty caption (train then learns them unconditionally)");
            }
            return Cancellable.run(30, cancel -> {
                DataJob.Summary s = DataJob.run(new DataJob.Settings(input, out, master, conf, clips), bar, cancel);
                System.out.println(s.inputs() + " inputs (" + s.failedInputs() + " unreadable): " + s.kept() + " clips kept, " + s.rejected()
                        + " rejected, " + s.failedClips() + " failed; dataset " + out.resolve("clips.jsonl") + ", manifest "
                        + out.resolve("manifest.parquet") + ", report " + out.resolve("report.html"));
                return s.failedInputs() + s.failedClips() > 0 ? 1 : 0;
            });
        }
    }

    @Command(name = "select", description = "Write a stage's share of a prepared dataset: the clips whose numbers in clips.jsonl "
            + "(quality_score, motion, sharpness, seconds) meet the bounds, to DATA/selections/NAME.jsonl, which `train --data` reads. "
            + "The paper raises its score thresholds as training goes on: one selection per stage.")
    static final class Select implements Callable<Integer> {
        @Option(names = "--data", required = true, description = "A folder `data prepare` wrote.")
        Path data;

        @Option(names = "--name", required = true, description = "The selection's name: DATA/selections/NAME.jsonl.")
        String name;

        @Option(names = "--min", paramLabel = "KEY=VALUE", description = "Keep clips with KEY at least VALUE, e.g. quality_score=6; repeatable "
                + "(a clip without KEY is left out) (default: none).")
        Map<String, Double> min = new LinkedHashMap<>();

        @Option(names = "--max", paramLabel = "KEY=VALUE", description = "Keep clips with KEY at most VALUE; repeatable (default: none).")
        Map<String, Double> max = new LinkedHashMap<>();

        @Override
        public Integer call() {
            Selection.Result r = Selection.write(data.toAbsolutePath().normalize(), name, min, max);
            System.out.println(r.selected() + " clips selected, " + r.excluded() + " outside the bounds, " + r.missing()
                    + " without a bounded number; train with --data " + r.file() + ", or name it in a stage: train --stages WxHxF:STEPS@" + name);
            return 0;
        }
    }

    @Command(name = "precompute", description = {"Encode the clips of a dataset with the model's VAE and their captions with its T5, into "
            + "DATA/" + LatentCache.IN_DATASET + "/, which `train --data DATA` then reads instead of encoding (give it the same --stages; "
            + "a missing entry is encoded there by train). A rerun encodes only what is missing.",
            "Exit code: 0 done, 1 done but some clips could not be read (each is named), 2 it could not start."})
    static final class Precompute implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "The diffusers CogVideoX folder (text-to-video) train will fine-tune.")
        Path model;

        @Option(names = "--data", required = true, description = "A dataset train reads (a folder `data prepare` wrote, a videos.txt folder "
                + "or a .jsonl).")
        Path data;

        @Option(names = "--stages", description = "The stages train will run, as its --stages (the steps are ignored; a stage's @SELECTION "
                + "encodes only that selection at that size) (default: one stage at the model's size).")
        String stages;

        @Override
        public Integer call() throws Exception {
            List<Stage> stageList = stages == null ? null : Stage.parseList(stages, "--stages");
            ProgressBar bar = ProgressBar.forConsole(System.err);
            return Cancellable.run(30, cancel -> {
                StageData.Precomputed p = StageData.precompute(model, data, stageList, bar, cancel, bar::println);
                System.out.println(p.entries() + " clip entries" + (p.problems().isEmpty() ? "" : " (" + p.problems().size() + " samples skipped)")
                        + " in " + p.cache() + "; train --data " + data + " reads them");
                return p.problems().isEmpty() ? 0 : 1;
            });
        }
    }
}
