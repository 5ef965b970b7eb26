package dev.cogvideox.layers;

import dev.cogvideox.batch.BatchJob;
import dev.cogvideox.data.job.DataJob;
import dev.cogvideox.cli.Main;
import dev.cogvideox.distributed.Communicator;
import dev.cogvideox.io.video.VideoWriters;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.tensor.onednn.OneDnnKernels;
import dev.cogvideox.train.model.TrainTransformer;
import dev.cogvideox.world.Shape;
import org.junit.jupiter.api.Test;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layers of {@code docs/design.md} over the compiled classes of core, video, distributed, onednn, train, world, batch, data and cli (bench is
 * not shipped and is left out), the core module free of the video module and its natives, and each rule failing
 * on class sets built to break it.
 */
class LayersTest {
    @Test
    void theModulesKeepTheLayersOfTheDesign() {
        PackageGraph g = PackageGraph.ofModules(Tensor.class, VideoWriters.class, Communicator.class, OneDnnKernels.class, TrainTransformer.class, Shape.class,
                BatchJob.class, DataJob.class, Main.class);
        assertThat(g.packages()).contains("dev.cogvideox.tensor", "dev.cogvideox.io", "dev.cogvideox.model.transformer",
                "dev.cogvideox.model.vae", "dev.cogvideox.pipeline", "dev.cogvideox.distributed", "dev.cogvideox.train.model",
                "dev.cogvideox.cli", "dev.cogvideox.data.job", "dev.cogvideox.tensor.onednn");
        assertThat(g.uses("dev.cogvideox.tensor.onednn")).containsOnlyKeys("dev.cogvideox.tensor");
        assertThat(g.uses("dev.cogvideox.train.model")).containsKey("dev.cogvideox.model.transformer");
        assertThat(g.uses("dev.cogvideox.train.distributed")).containsKey("dev.cogvideox.distributed");
        assertThat(g.uses("dev.cogvideox.distributed")).containsKey("dev.cogvideox.model");
        assertThat(Layers.violations(g)).isEmpty();
    }

    @Test
    void theCoreModuleHasNoVideoModuleAndNoNatives() throws Exception {
        PackageGraph video = PackageGraph.ofModules(VideoWriters.class);
        assertThat(video.ownPackages()).containsExactly("dev.cogvideox.io.video");
        assertThat(video.foreignUses("dev.cogvideox.io.video")).containsKey("org.bytedeco.javacv");
        PackageGraph core = PackageGraph.ofModules(Tensor.class);
        assertThat(core.ownPackages()).contains("dev.cogvideox.io", "dev.cogvideox.pipeline").doesNotContain("dev.cogvideox.io.video");
        assertThat(Layers.coreViolations(core)).isEmpty();
        String pom = Files.readString(Path.of("..", "core", "pom.xml"));
        assertThat(pom).contains("<artifactId>cogvideox-core</artifactId>");
        assertThat(Layers.corePomViolations(pom)).isEmpty();
    }

    @Test
    void theCoreModuleUsingVideoOrNativesFails() {
        PackageGraph g = PackageGraph.of(List.of(
                type("dev.cogvideox.pipeline.Frames", "dev.cogvideox.io.video.VideoWriter"),
                type("dev.cogvideox.model.vae.Decoder", "org.bytedeco.javacv.Frame", "com.fasterxml.jackson.databind.JsonNode"),
                type("dev.cogvideox.io.video.Mp4Writer")));
        assertThat(Layers.coreViolations(g)).containsExactly(
                "dev.cogvideox.io.video is in the core module (it belongs to the video module)",
                "core uses a native library: dev.cogvideox.model.vae -> org.bytedeco.javacv"
                        + " (dev.cogvideox.model.vae.Decoder -> org.bytedeco.javacv.Frame)",
                "core uses the video module: dev.cogvideox.pipeline -> dev.cogvideox.io.video"
                        + " (dev.cogvideox.pipeline.Frames -> dev.cogvideox.io.video.VideoWriter)");
        String pom = """
                <dependencies>
                  <dependency>
                    <groupId>com.fasterxml.jackson.core</groupId>
                    <artifactId>jackson-databind</artifactId>
                  </dependency>
                  <dependency>
                    <groupId>org.bytedeco</groupId>
                    <artifactId>ffmpeg</artifactId>
                  </dependency>
                </dependencies>""";
        assertThat(Layers.corePomViolations(pom)).containsExactly(
                "core's pom depends on org.bytedeco:ffmpeg (move the code that needs it to the video module)");
    }

    @Test
    void aLowerLayerUsingAHigherOneFails() {
        PackageGraph g = PackageGraph.of(List.of(
                type("dev.cogvideox.tensor.Kernel", "dev.cogvideox.pipeline.CogVideoXPipeline"),
                type("dev.cogvideox.train.Trainer", "dev.cogvideox.model.transformer.CogVideoXBlock")));
        assertThat(Layers.violations(g)).containsExactly("back-edge dev.cogvideox.tensor -> dev.cogvideox.pipeline"
                + " (dev.cogvideox.tensor.Kernel -> dev.cogvideox.pipeline.CogVideoXPipeline)");
    }

    @Test
    void thePipelineUsingMpiRanksFails() {
        PackageGraph g = PackageGraph.of(List.of(type("dev.cogvideox.pipeline.CogVideoXPipeline", "dev.cogvideox.distributed.Communicator")));
        assertThat(Layers.violations(g)).containsExactly("back-edge dev.cogvideox.pipeline -> dev.cogvideox.distributed"
                + " (dev.cogvideox.pipeline.CogVideoXPipeline -> dev.cogvideox.distributed.Communicator)");
    }

    @Test
    void packagesUsingEachOtherFailEvenInOneLayer() {
        PackageGraph g = PackageGraph.of(List.of(
                type("dev.cogvideox.model.vae.Decoder", "dev.cogvideox.model.nn.Linear"),
                type("dev.cogvideox.model.nn.Linear", "dev.cogvideox.model.schedule.Scheduler"),
                type("dev.cogvideox.model.schedule.Scheduler", "dev.cogvideox.model.vae.Decoder")));
        assertThat(Layers.violations(g)).containsExactly(
                "package cycle [dev.cogvideox.model.nn, dev.cogvideox.model.schedule, dev.cogvideox.model.vae]");
    }

    @Test
    void aPackageOfNoLayerFails() {
        PackageGraph g = PackageGraph.of(List.of(type("dev.cogvideox.service.Server", "dev.cogvideox.pipeline.CogVideoXPipeline")));
        assertThat(Layers.violations(g)).containsExactly("dev.cogvideox.service is in no layer of design.md (add it to Layers.RANK)");
    }

    /** A class {@code name} with one field of each of {@code uses}' types. */
    private static byte[] type(String name, String... uses) {
        return ClassFile.of().build(ClassDesc.of(name), cb -> {
            for (int i = 0; i < uses.length; i++) {
                cb.withField("f" + i, ClassDesc.of(uses[i]), ClassFile.ACC_PRIVATE);
            }
        });
    }
}
