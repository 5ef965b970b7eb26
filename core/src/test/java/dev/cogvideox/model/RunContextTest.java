package dev.cogvideox.model;

import dev.cogvideox.progress.CancellationToken;
import dev.cogvideox.progress.ProgressListener;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunContextTest {
    @Test
    void noPartIsEverNull() {
        assertThatThrownBy(() -> new RunContext(null, CancellationToken.NONE, Taps.NONE)).hasMessageContaining("ProgressListener.NONE");
        assertThatThrownBy(() -> RunContext.of(ProgressListener.NONE, null)).hasMessageContaining("CancellationToken.NONE");
        assertThatThrownBy(() -> RunContext.NONE.withTaps(null)).hasMessageContaining("Taps.NONE");
    }

    @Test
    void withersReplaceOnePartAndKeepTheOthers() {
        CancellationToken cancel = new CancellationToken();
        List<String> tapped = new ArrayList<>();
        RunContext run = RunContext.of(ProgressListener.NONE, cancel).withTaps((name, t) -> tapped.add(name));
        run.taps().tap("latents", null);
        assertThat(tapped).containsExactly("latents");
        assertThat(run.cancel()).isSameAs(cancel);
        RunContext quiet = run.withTaps(Taps.NONE);
        assertThat(quiet.cancel()).isSameAs(cancel);
        assertThat(quiet.progress()).isSameAs(ProgressListener.NONE);
        assertThat(quiet.taps()).isSameAs(Taps.NONE);
        assertThat(RunContext.NONE.cancel()).isSameAs(CancellationToken.NONE);
    }
}
