package dev.cogvideox.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;

/** Widening of stored 16-bit weights: every bit pattern, vector body and scalar tail, any start. */
class WeightTest {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * All 65536 patterns in native memory (as a memory map; bf16 read by the Vector API), and the same in a byte[]
     * and a short[] heap segment (read one by one).
     */
    private static Weight[] everyPattern(DType dtype) {
        MemorySegment bytes = MemorySegment.ofArray(new byte[2 << 16]);
        MemorySegment shorts = MemorySegment.ofArray(new short[1 << 16]);
        MemorySegment mapped = Arena.ofAuto().allocate(2 << 16);
        for (int i = 0; i < 1 << 16; i++) {
            for (MemorySegment seg : new MemorySegment[]{bytes, shorts, mapped}) {
                seg.setAtIndex(U16, i, (short) i);
            }
        }
        return new Weight[]{new Weight("native", dtype, new int[]{1 << 16}, mapped),
                new Weight("bytes", dtype, new int[]{1 << 16}, bytes),
                new Weight("shorts", dtype, new int[]{1 << 16}, shorts)};
    }

    private static float definition(DType dtype, int bits) {
        return dtype == DType.BF16 ? Float.intBitsToFloat(bits << 16) : Float.float16ToFloat((short) bits);
    }

    private static void assertWidensEveryPattern(DType dtype) {
        for (Weight w : everyPattern(dtype)) {
            for (int start : new int[]{0, 3}) {   // 3: unaligned vector loads and a scalar tail
                float[] out = new float[(1 << 16) - start + 5];
                w.widen(start, out, 5, (1 << 16) - start);
                for (int i = start; i < 1 << 16; i++) {
                    float want = definition(dtype, i), got = out[5 + i - start];
                    if (Float.isNaN(want)) {
                        // NaN payloads may differ in the quiet bit (the JIT's F16C conversion quiets signalling NaNs).
                        assertThat(got).as("%s %s 0x%04x", w.name(), dtype, i).isNaN();
                    } else {
                        assertThat(Float.floatToRawIntBits(got)).as("%s %s 0x%04x", w.name(), dtype, i)
                                .isEqualTo(Float.floatToRawIntBits(want));
                    }
                }
            }
        }
    }

    @Test
    void bf16WidensToTheUpperHalfOfTheFloatBits() {
        assertWidensEveryPattern(DType.BF16);
    }

    @Test
    void f16WidensExactlyIncludingSubnormalsInfinitiesAndSignedZeros() {
        assertWidensEveryPattern(DType.F16);
    }
}
