package dev.cogvideox.fuzz;

import dev.cogvideox.io.ModelFormatException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The harness itself: what counts as a clean error, and that wrong results, other exceptions and hangs are failures. */
class FuzzTest {
    @Test
    void sortsOutcomes() {
        try (Fuzz fuzz = new Fuzz("self", 200, ModelFormatException.class)) {
            fuzz.run("ok", "f.bin", () -> { });
            fuzz.run("clean", "f.bin", () -> {
                throw new ModelFormatException("f.bin: truncated");
            });
            fuzz.run("unnamed", "f.bin", () -> {
                throw new ModelFormatException("truncated");
            });
            fuzz.run("npe", "f.bin", () -> {
                throw new NullPointerException();
            });
            fuzz.run("wrong", "f.bin", () -> assertThat(1).isEqualTo(2));
            fuzz.run("hang", "f.bin", () -> Thread.sleep(10_000));
            assertThat(fuzz.accepted).isEqualTo(1);
            assertThat(fuzz.refused).isEqualTo(1);
            assertThat(fuzz.hangs).isEqualTo(1);
            assertThat(fuzz.failures).hasSize(4).anySatisfy(f -> assertThat(f).startsWith("unnamed").contains("does not name f.bin"))
                    .anySatisfy(f -> assertThat(f).startsWith("npe: java.lang.NullPointerException"))
                    .anySatisfy(f -> assertThat(f).startsWith("wrong: ").contains("expected: 2"))
                    .anySatisfy(f -> assertThat(f).isEqualTo("hang: no answer within 200 ms"));
            assertThat(fuzz.summary()).contains("6 cases").contains("3 failures, 1 hangs");
        }
    }
}
