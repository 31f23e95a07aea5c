// quiesce: scripting the emulator from jshell.
//
//   ./quiesce jshell                      opens this script with the class path and flags set
//   jshell --class-path <cp> -R--enable-native-access=ALL-UNNAMED examples/jshell/emulator.jsh
//
// Every line below can be typed at the jshell> prompt as well.

import dev.quiesce.Policy;
import dev.quiesce.emu.*;
import java.time.Duration;

// Two busy vCPUs (they leave their read sections only when kicked; they only read guest
// memory, so what we write stays), FQS, force_rcu on unmap.
var m = Machine.builder().vcpus(2).slice(Duration.ZERO).workload(Workload.readOnly()).policy(Policy.FQS).gpu(GpuConfig.defaults().withForceOnUnmap(true)).start(true).build();
var gpu = m.gpu();

// A 1 MiB host blob, mapped at the start of the device window.
gpu.execute(GpuCommand.createBlob(1).hostMemory().mappable().size(1 << 20).build());
gpu.execute(GpuCommand.mapBlob(1, 0));

// Touch it through guest memory.
m.writeGuest(gpu.windowAddress(0), new byte[] {42, 43, 44});
System.out.println("guest reads " + java.util.Arrays.toString(m.readGuest(gpu.windowAddress(0), 3)));

// Unmap: answered only after the blob's region was freed through RCU.
var unmap = gpu.execute(GpuCommand.unmapBlob(1));
System.out.printf("unmap: %s after %.3f ms%n", unmap.typeName(), unmap.latencyNanos() / 1e6);
System.out.println("vCPU kicks so far: " + m.stats().machine().total().kicks());
System.out.println("device unmap histogram: " + gpu.latency(LatencyKind.UNMAP));

// Malformed input gets the specification's error response.
System.out.println("junk -> " + gpu.executeRaw(new byte[] {1, 2, 3}).typeName());

// The busy vCPUs burn CPU while the machine runs: close it. To see the stall, build one with
// .policy(Policy.LEGACY), submit an unmap with gpu.submit(...), and watch the future stay
// incomplete until m.drain().
m.close();
System.out.println("machine closed");
