package dev.quiesce.emu;

import static dev.quiesce.emu.VirtioGpu.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.emu.model.VgpuWire;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The Java wire codec against hand-written bytes of the virtio v1.2 layouts. */
class VgpuWireTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void typedCommandsEncodeToTheSpecLayouts() {
        // MAP_BLOB: type 0x0208, flags, fence, ctx, ring, pad | resource_id, padding | offset (le64)
        assertThat(HEX.formatHex(GpuCommand.mapBlob(7, 0x1122334455L).toBytes())).isEqualTo(
                "08020000" + "00000000" + "0000000000000000" + "00000000" + "00000000"
                        + "07000000" + "00000000" + "5544332211000000");
        assertThat(HEX.formatHex(GpuCommand.unmapBlob(0x01020304).toBytes())).isEqualTo(
                "09020000" + "00000000" + "0000000000000000" + "00000000" + "00000000" + "04030201" + "00000000");
        assertThat(HEX.formatHex(GpuCommand.unref(9).toBytes())).isEqualTo(
                "02010000" + "00000000" + "0000000000000000" + "00000000" + "00000000" + "09000000" + "00000000");
        byte[] create = GpuCommand.createBlob(5).guestMemory().mappable().blobId(0xabL).size(0x3000)
                .entry(0x10000, 0x1000).entry(0x20000, 0x2000).build().toBytes();
        assertThat(create).hasSize(SIZE_RESOURCE_CREATE_BLOB + 2 * SIZE_MEM_ENTRY);
        assertThat(HEX.formatHex(create)).isEqualTo(
                "0c010000" + "00000000" + "0000000000000000" + "00000000" + "00000000"
                        + "05000000" + "01000000" + "01000000" + "02000000"
                        + "ab00000000000000" + "0030000000000000"
                        + "0000010000000000" + "00100000" + "00000000"
                        + "0000020000000000" + "00200000" + "00000000");
    }

    @Test
    void headerEditsSetFlagsFenceContextAndRing() {
        byte[] b = GpuCommand.unmapBlob(1).withHeader(h -> h.fence(0x0102030405060708L).ctx(3).ringIdx(5)).toBytes();
        assertThat(HEX.formatHex(b, 0, 24)).isEqualTo(
                "09020000" + "03000000" + "0807060504030201" + "03000000" + "05000000");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "empty, '', 0x1200",
        "short header, 0802000000000000, 0x1200",
        "unknown type, 34120000000000000000000000000000000000000000000001000000, 0x1200",
        "response code as command, 001100000000000000000000000000000000000000000000, 0x1200",
        "2d command not implemented, 000100000000000000000000000000000000000000000000, 0x1200",
    })
    void malformedInputGetsTheSpecErrorCode(String name, String hex, String code) {
        byte[] b = HEX.parseHex(hex);
        assertThat(VgpuWire.decode(b).code()).isEqualTo(Integer.decode(code));
    }

    @Test
    void lengthsMustMatchTheStructExactly() {
        byte[] map = GpuCommand.mapBlob(1, 0).toBytes();
        assertThat(VgpuWire.decode(map).ok()).isTrue();
        assertThat(VgpuWire.decode(Arrays.copyOf(map, map.length - 1)).code()).isEqualTo(RESP_ERR_UNSPEC);
        assertThat(VgpuWire.decode(Arrays.copyOf(map, map.length + 1)).code()).isEqualTo(RESP_ERR_UNSPEC);
        byte[] unref = GpuCommand.unref(1).toBytes();
        assertThat(VgpuWire.decode(Arrays.copyOf(unref, 33)).code()).isEqualTo(RESP_ERR_UNSPEC);
        byte[] oversized = Arrays.copyOf(unref, CMD_MAX + 1);
        VgpuWire.Decoded d = VgpuWire.decode(oversized);
        assertThat(d.code()).isEqualTo(RESP_ERR_UNSPEC);
        assertThat(d.cmd().hdr().type()).as("the header is still decoded").isEqualTo(CMD_RESOURCE_UNREF);
    }

    @Test
    void createBlobEntryCountIsChecked() {
        byte[] c = GpuCommand.createBlob(1).guestMemory().size(4096).entry(0x1000, 4096).build().toBytes();
        assertThat(VgpuWire.decode(c).cmd().entries()).containsExactly(MemEntry.of(0x1000, 4096));
        VgpuWire.le32Put(c, OFF_CREATE_NR_ENTRIES, 2);
        assertThat(VgpuWire.decode(c).code()).as("claims 2, carries 1").isEqualTo(RESP_ERR_UNSPEC);
        VgpuWire.le32Put(c, OFF_CREATE_NR_ENTRIES, MAX_MEM_ENTRIES + 1);
        assertThat(VgpuWire.decode(c).code()).isEqualTo(RESP_ERR_INVALID_PARAMETER);
        VgpuWire.le32Put(c, OFF_CREATE_NR_ENTRIES, -1);
        assertThat(VgpuWire.decode(c).code()).as("unsigned count").isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(VgpuWire.decode(c).cmd().resourceId()).as("zeroed on error").isZero();
    }

    @Test
    void responsesEchoTheFenceOfFencedRequestsOnly() {
        CtrlHdr plain = new CtrlHdr(CMD_RESOURCE_UNREF, 0, 77, 3, 4);
        assertThat(HEX.formatHex(VgpuWire.encodeResp(plain, RESP_OK_NODATA, 0)))
                .isEqualTo("00110000" + "00".repeat(20));
        CtrlHdr fenced = new CtrlHdr(CMD_RESOURCE_UNREF, FLAG_FENCE, 77, 3, 4);
        assertThat(HEX.formatHex(VgpuWire.encodeResp(fenced, RESP_ERR_INVALID_RESOURCE_ID, 0)))
                .isEqualTo("03120000" + "01000000" + "4d00000000000000" + "03000000" + "00000000");
        CtrlHdr ring = new CtrlHdr(CMD_RESOURCE_MAP_BLOB, FLAG_FENCE | FLAG_INFO_RING_IDX, 1, 2, 9);
        byte[] r = VgpuWire.encodeResp(ring, RESP_OK_MAP_INFO, MAP_CACHE_CACHED);
        assertThat(HEX.formatHex(r)).isEqualTo("06110000" + "03000000" + "0100000000000000" + "02000000"
                + "09000000" + "01000000" + "00000000");
        assertThat(VgpuWire.encodeResp(null, RESP_ERR_UNSPEC, 0)).hasSize(SIZE_CTRL_HDR);
        Response decoded = Response.decode(r, 0);
        assertThat(decoded.type()).isEqualTo(RESP_OK_MAP_INFO);
        assertThat(decoded.mapInfo()).isEqualTo(MAP_CACHE_CACHED);
        assertThat(decoded.header().ringIdx()).isEqualTo(9);
        assertThatThrownBy(() -> Response.decode(Arrays.copyOf(r, 24), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encodeThenDecodeRoundTrips() {
        GpuCommand[] cmds = {GpuCommand.createBlob(3).size(1L << 40).blobId(-1).build(), GpuCommand.mapBlob(-1, -1),
            GpuCommand.unmapBlob(0), GpuCommand.unref(Integer.MIN_VALUE)};
        for (GpuCommand c : cmds) {
            VgpuWire.Decoded d = VgpuWire.decode(c.toBytes());
            assertThat(d.ok()).as(c.toString()).isTrue();
            assertThat(d.cmd().hdr().type()).isEqualTo(c.type());
        }
        assertThat(VgpuWire.decode(cmds[0].toBytes()).cmd().size()).isEqualTo(1L << 40);
        assertThat(VgpuWire.decode(cmds[1].toBytes()).cmd().offset()).isEqualTo(-1L);
    }

    @Test
    void typeNamesFollowTheSpec() {
        assertThat(typeName(CMD_RESOURCE_CREATE_BLOB)).isEqualTo("RESOURCE_CREATE_BLOB");
        assertThat(typeName(RESP_ERR_INVALID_PARAMETER)).isEqualTo("RESP_ERR_INVALID_PARAMETER");
        assertThat(typeName(0x4242)).isEqualTo("UNKNOWN");
        assertThat(isOk(RESP_OK_MAP_INFO)).isTrue();
        assertThat(isOk(RESP_ERR_UNSPEC)).isFalse();
    }
}
