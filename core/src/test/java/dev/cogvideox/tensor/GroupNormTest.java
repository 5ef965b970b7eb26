package dev.cogvideox.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.cogvideox.tensor.Conv3dTest.normalisedError;
import static dev.cogvideox.tensor.Conv3dTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link GroupNorm} against the definition computed in double, with and without its SpatialNorm/SiLU epilogues. */
class GroupNormTest {
    @Test
    void plainGroupNormMatchesDefinition() {
        Random rnd = new Random(3);
        Tensor x = shifted(random(rnd, 2, 12, 3, 5, 7), 4f);
        Tensor w = random(rnd, 12), b = random(rnd, 12);
        Tensor out = Tensor.zeros(x.shape());
        GroupNorm.forward(x, 4, w, b, 1e-6f, null, false, out);
        assertThat(normalisedError(out, reference(x, 4, w, b, 1e-6, null, false))).isLessThan(1e-12);
    }

    @Test
    void modulationAndSiluInPlaceMatchDefinition() {
        Random rnd = new Random(5);
        Tensor x = random(rnd, 1, 6, 5, 8, 6);
        Tensor w = random(rnd, 6), b = random(rnd, 6);
        // coarse grid 3 frames of 2x3 resized to 5 frames of 8x6, frame 0 apart (odd count)
        GroupNorm.Modulation mod = new GroupNorm.Modulation(random(rnd, 1, 6, 3, 2, 3), random(rnd, 1, 6, 3, 2, 3),
                Resample.causalFrameIndex(3, 5), Resample.nearestIndex(2, 8), Resample.nearestIndex(3, 6));
        Tensor want = reference(x, 3, w, b, 1e-6, mod, true);
        GroupNorm.forward(x, 3, w, b, 1e-6f, mod, true, x);
        assertThat(normalisedError(x, want)).isLessThan(1e-12);
    }

    @Test
    void rejectsChannelsNotDivisibleByGroups() {
        Tensor x = Tensor.zeros(1, 6, 1, 2, 2);
        assertThatThrownBy(() -> GroupNorm.forward(x, 4, null, null, 1e-6f, null, false, x))
                .hasMessageContaining("6 channels do not split into 4 groups");
    }

    private static Tensor shifted(Tensor t, float by) {
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] += by;
        }
        return t;
    }

    /** Per sample and group: mean and biased variance over (C/G, T, H, W) in double, then affine, modulation, SiLU. */
    private static Tensor reference(Tensor x, int groups, Tensor w, Tensor b, double eps, GroupNorm.Modulation mod, boolean silu) {
        int n = x.dim(0), c = x.dim(1), t = x.dim(2), h = x.dim(3), wi = x.dim(4);
        int s = t * h * wi, cpg = c / groups;
        Tensor y = Tensor.zeros(x.shape());
        for (int bi = 0; bi < n; bi++) {
            for (int g = 0; g < groups; g++) {
                double sum = 0, sq = 0;
                int start = (bi * c + g * cpg) * s;
                for (int i = 0; i < cpg * s; i++) {
                    sum += x.data()[start + i];
                }
                double mean = sum / (cpg * s);
                for (int i = 0; i < cpg * s; i++) {
                    sq += Math.pow(x.data()[start + i] - mean, 2);
                }
                double rstd = 1 / Math.sqrt(sq / (cpg * s) + eps);
                for (int ci = g * cpg; ci < (g + 1) * cpg; ci++) {
                    for (int f = 0; f < t; f++) {
                        for (int r = 0; r < h; r++) {
                            for (int col = 0; col < wi; col++) {
                                int i = (((bi * c + ci) * t + f) * h + r) * wi + col;
                                double v = (x.data()[i] - mean) * rstd * w.data()[ci] + b.data()[ci];
                                if (mod != null) {
                                    Tensor ms = mod.scale();
                                    int m = (((bi * c + ci) * ms.dim(2) + mod.frameIndex()[f]) * ms.dim(3) + mod.rowIndex()[r]) * ms.dim(4)
                                            + mod.colIndex()[col];
                                    v = v * ms.data()[m] + mod.shift().data()[m];
                                }
                                y.data()[i] = (float) (silu ? v / (1 + Math.exp(-v)) : v);
                            }
                        }
                    }
                }
            }
        }
        return y;
    }
}
