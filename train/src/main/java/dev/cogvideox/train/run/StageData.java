package dev.cogvideox.train.run;

import dev.cogvideox.model.transformer.CogVideoXTransformerConfig;
import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import dev.cogvideox.train.data.DataSample;
import dev.cogvideox.train.data.DatasetIndex;
import dev.cogvideox.train.data.LatentCache;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What each stage of a run draws from and its latent-cache entries: the dataset's samples, or, for a stage with a
 * {@link Stage#selection selection}, those of the dataset's {@code selections/NAME.jsonl}. {@link TrainingRun} and
 * {@link #precompute} (what {@code data precompute} runs) both go through here, so a precomputed cache holds exactly
 * the entries a run with the same {@code --stages} looks up.
 */
public final class StageData {
    /**
     * What {@link #precompute} did.
     *
     * @param entries the cached clip entries, over all stages
     */
    public record Precomputed(Path cache, int entries, List<String> problems) {
    }

    private StageData() {
    }

    /**
     * The samples of each stage; stages of the same selection (or of none: the whole dataset) share one list, read once
     * (the dataset itself only if a stage needs it). Unusable lines go to {@code problems}.
     */
    static List<List<DataSample>> samples(Path data, List<Stage> stages, Consumer<String> problems) {
        Map<String, List<DataSample>> read = new HashMap<>();
        List<List<DataSample>> perStage = new ArrayList<>();
        for (Stage s : stages) {
            List<DataSample> samples = read.get(s.selection() == null ? "" : "@" + s.selection());
            if (samples == null) {
                DatasetIndex index;
                if (s.selection() == null) {
                    index = DatasetIndex.read(data);
                } else {
                    Path file = DatasetIndex.selection(data, s.selection(), "--stages " + s);
                    try {
                        index = DatasetIndex.read(file);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("--stages " + s + ": selection '" + s.selection() + "': " + e.getMessage(), e);
                    }
                }
                index.problems().forEach(problems);
                samples = index.samples();
                read.put(s.selection() == null ? "" : "@" + s.selection(), samples);
            }
            perStage.add(samples);
        }
        return perStage;
    }

    /** Every {@code size}-th sample from {@code rank}, of each stage (stages that shared a list still share one). */
    static List<List<DataSample>> share(List<List<DataSample>> perStage, int rank, int size) {
        Map<List<DataSample>, List<DataSample>> shares = new IdentityHashMap<>();
        List<List<DataSample>> out = new ArrayList<>();
        for (List<DataSample> samples : perStage) {
            out.add(shares.computeIfAbsent(samples, all -> {
                List<DataSample> share = new ArrayList<>();
                for (int i = rank; i < all.size(); i += size) {
                    share.add(all.get(i));
                }
                return share;
            }));
        }
        return out;
    }

    /**
     * The cache entries of each stage, encoding what is missing. When every stage draws from the same samples they are
     * prepared in one pass over the shapes (the VAE, then T5, loaded once); otherwise stage by stage.
     */
    static List<List<LatentCache.Entry>> prepare(LatentCache cache, List<List<DataSample>> perStage, List<Stage> stages, int maxTextLength,
                                                ProgressListener progress, CancellationToken cancel, Consumer<String> problems) {
        if (perStage.stream().allMatch(l -> l == perStage.getFirst())) {
            return cache.prepare(perStage.getFirst(), stages.stream().map(Stage::shape).toList(), maxTextLength, progress, cancel, problems);
        }
        List<List<LatentCache.Entry>> entries = new ArrayList<>();
        for (int s = 0; s < stages.size(); s++) {
            entries.add(cache.prepare(perStage.get(s), List.of(stages.get(s).shape()), maxTextLength, progress, cancel, problems).getFirst());
        }
        return entries;
    }

    /**
     * Fills the dataset's own cache ({@link LatentCache#inDataset}) with the VAE posteriors and prompt embeddings of
     * every sample of every stage (null: one stage at the model's default size), and the empty caption's embeddings
     * ({@code --caption-dropout}), so that {@code train --data} with the same stages encodes nothing.
     */
    public static Precomputed precompute(Path model, Path data, List<Stage> stages, ProgressListener progress, CancellationToken cancel,
                                         Consumer<String> messages) {
        CogVideoXTransformerConfig cfg = TrainingRun.transformerConfig(model);
        List<Stage> list = stages != null ? stages : List.of(Stage.modelDefault(cfg, 1));
        for (Stage s : list) {
            s.checkFits(cfg, stages != null ? "--stages " + s : "the model's default size " + s.shape());
        }
        List<String> problems = new ArrayList<>();
        Consumer<String> problem = m -> {
            problems.add(m);
            messages.accept(m);
        };
        Path dir = LatentCache.inDataset(data);
        LatentCache cache = new LatentCache(model, dir);
        List<List<LatentCache.Entry>> entries = prepare(cache, samples(data, list, problem), list, cfg.maxTextSeqLength(), progress, cancel, problem);
        cache.promptEmbeds("", cfg.maxTextSeqLength());
        return new Precomputed(dir, entries.stream().mapToInt(List::size).sum(), List.copyOf(problems));
    }
}
