package dev.cogvideox.progress;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CancellationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CancellationTokenTest {
    @Test
    void aTokenStopsTheRunOnceCancelledOrInterrupted() {
        CancellationToken t = new CancellationToken();
        t.throwIfCancelled();
        assertThat(t.isCancelled()).isFalse();
        Thread.currentThread().interrupt();
        try {
            assertThat(t.isCancelled()).isTrue();
            assertThatThrownBy(t::throwIfCancelled).isInstanceOf(CancellationException.class).hasMessage("cancelled: thread interrupted");
        } finally {
            Thread.interrupted();
        }
        t.cancel();
        assertThatThrownBy(t::throwIfCancelled).isInstanceOf(CancellationException.class).hasMessage("cancelled");
    }

    @Test
    void noneNeverStopsTheRunAndCannotBeCancelled() {
        Thread.currentThread().interrupt();
        try {
            assertThat(CancellationToken.NONE.isCancelled()).isFalse();
            CancellationToken.NONE.throwIfCancelled();
        } finally {
            assertThat(Thread.interrupted()).as("the interrupt flag is left set").isTrue();
        }
        assertThatThrownBy(CancellationToken.NONE::cancel).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("new CancellationToken()");
        assertThat(CancellationToken.NONE.isCancelled()).isFalse();
    }
}
