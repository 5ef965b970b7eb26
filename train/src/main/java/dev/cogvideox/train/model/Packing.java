package dev.cogvideox.train.model;

import dev.cogvideox.model.transformer.Embeddings;
import dev.cogvideox.tensor.Layout;
import dev.cogvideox.tensor.Tensor;
import dev.cogvideox.train.grad.TokenSegments;

import java.util.List;

/**
 * The layout of a packed sequence (Frame Pack): the text tokens of every clip, then the video tokens of every clip,
 * {@code [1, text.total() + video.total(), D]}. Per-token operations (linear layers, norms, the feed-forward) run
 * over the whole sequence at once; per-clip ones (AdaLN modulation by the clip's timestep, attention, RoPE) use the
 * clip's rows. Attention runs clip by clip on {@code [text_i; video_i]}: the same result as full attention under a
 * block-diagonal mask, without the masked-out scores. A batch {@code [B, L, D]} of equal clips is the packing of B
 * clips of equal length.
 *
 * @param text  segments of the text stream, one per clip
 * @param video segments of the video stream, one per clip
 * @param rope  each clip's RoPE table (positions start at 0 for every clip), or null for models without RoPE
 */
public record Packing(TokenSegments text, TokenSegments video, List<Embeddings.RotaryTable> rope) {
    public Packing {
        if (text.count() != video.count() || (rope != null && rope.size() != video.count())) {
            throw new IllegalArgumentException("packing of " + text + " text and " + video + " video segments with "
                    + (rope == null ? "no" : rope.size()) + " RoPE tables");
        }
        for (int i = 0; rope != null && i < rope.size(); i++) {
            if (rope.get(i).cos().dim(0) != video.length(i)) {
                throw new IllegalArgumentException("clip " + i + " has " + video.length(i) + " video tokens but a RoPE table of "
                        + rope.get(i).cos().dim(0) + " positions");
            }
        }
    }

    public int clips() {
        return video.count();
    }

    /** Clip {@code i}'s rows {@code [text_i; video_i]} of a packed {@code [1, text + video, C]} tensor: {@code [1, T_i + N_i, C]}. */
    public Tensor gather(Tensor packed, int i) {
        return Layout.cat(1, Layout.narrow(packed, 1, text.start(i), text.length(i)),
                Layout.narrow(packed, 1, text.total() + video.start(i), video.length(i)));
    }

    /** The inverse of {@link #gather}: writes clip {@code i}'s rows into the packed tensor. */
    public void scatter(Tensor packed, int i, Tensor clip) {
        Layout.paste(packed, 1, text.start(i), Layout.narrow(clip, 1, 0, text.length(i)));
        Layout.paste(packed, 1, text.total() + video.start(i), Layout.narrow(clip, 1, text.length(i), video.length(i)));
    }
}
