package dev.cogvideox.data.job;

import dev.cogvideox.data.features.ClipFeatures;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code manifest.parquet} in the output folder: one row per clip (and per input that could not be read), every
 * feature, score, verdict, reason and caption ({@link ClipRow}). Spark writes it (one file) into a temporary folder
 * beside it, which then replaces the earlier one by renames: a reader sees the old manifest or the new, whole.
 */
public final class Manifest {
    public static final String NAME = "manifest.parquet";

    static final StructType SCHEMA = new StructType()
            .add("input", DataTypes.StringType, false)
            .add("clip_index", DataTypes.IntegerType, false)
            .add("clip", DataTypes.StringType)
            .add("status", DataTypes.StringType, false)
            .add("tags", DataTypes.createArrayType(DataTypes.StringType), false)
            .add("reasons", DataTypes.createArrayType(DataTypes.StringType), false)
            .add("start_seconds", DataTypes.DoubleType, false)
            .add("frames", DataTypes.IntegerType)
            .add("seconds", DataTypes.DoubleType)
            .add("width", DataTypes.IntegerType)
            .add("height", DataTypes.IntegerType)
            .add("fps", DataTypes.DoubleType)
            .add("diff_mean", DataTypes.DoubleType)
            .add("diff_max", DataTypes.DoubleType)
            .add("still_fraction", DataTypes.DoubleType)
            .add("motion", DataTypes.DoubleType)
            .add("motion_spread", DataTypes.DoubleType)
            .add("motion_area", DataTypes.DoubleType)
            .add("motion_coherence", DataTypes.DoubleType)
            .add("sharpness", DataTypes.DoubleType)
            .add("brightness", DataTypes.DoubleType)
            .add("clipped", DataTypes.DoubleType)
            .add("text_area", DataTypes.DoubleType)
            .add("flat_area", DataTypes.DoubleType)
            .add("quality_score", DataTypes.DoubleType)
            .add("short_caption", DataTypes.StringType)
            .add("frame_captions", DataTypes.createArrayType(DataTypes.StringType))
            .add("caption", DataTypes.StringType)
            .add("executor", DataTypes.StringType)
            .add("feature_seconds", DataTypes.DoubleType, false);

    private Manifest() {
    }

    static Row row(ClipRow r) {
        ClipFeatures f = r.features();
        return RowFactory.create(r.input(), r.clipIndex(), r.clip(), r.status(), r.tags(), r.reasons(), r.startSeconds(),
                f == null ? null : f.frames(), f == null ? null : f.seconds(), f == null ? null : f.width(), f == null ? null : f.height(),
                f == null ? null : f.fps(), f == null ? null : f.diffMean(), f == null ? null : f.diffMax(), f == null ? null : f.stillFraction(),
                f == null ? null : f.motion(), f == null ? null : f.motionSpread(), f == null ? null : f.motionArea(),
                f == null ? null : f.motionCoherence(), f == null ? null : f.sharpness(), f == null ? null : f.brightness(),
                f == null ? null : f.clipped(), f == null ? null : f.textArea(), f == null ? null : f.flatArea(), r.qualityScore(),
                r.shortCaption(), r.frameCaptions(), r.caption(), r.executor(), r.featureSeconds());
    }

    /** Writes {@code rows} to {@code dir/manifest.parquet}, replacing the earlier one only once the new one is whole. */
    static void write(SparkSession spark, List<ClipRow> rows, Path dir) {
        Path target = dir.resolve(NAME);
        String tag = ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path tmp = dir.resolve("." + NAME + "." + tag + ".partial"), old = dir.resolve("." + NAME + "." + tag + ".old");
        List<Row> data = new ArrayList<>(rows.size());
        rows.forEach(r -> data.add(row(r)));
        try {
            spark.createDataFrame(data, SCHEMA).coalesce(1).write().mode(SaveMode.ErrorIfExists).parquet(tmp.toString());
            if (Files.exists(target)) {
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the manifest " + target + ": " + e.getMessage(), e);
        } finally {
            deleteTree(tmp);
        }
    }

    static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> all = Files.walk(p)) {
            for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (IOException e) {
            // a leftover temporary folder, named as one: harmless
        }
    }
}
