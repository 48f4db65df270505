# ---- Seed 003: rust_proc_ram_file, /proc/rust-proc-file, a file in RAM ----
# The seed's manual test, as it says it: modprobe finds the module (the
# guest's /lib/modules/<release>/extra, indexed by depmod at boot).
modprobe rust_proc_ram_file && cat /proc/rust-proc-file
echo "abcd" > /proc/rust-proc-file && cat /proc/rust-proc-file
echo "defg" > /proc/rust-proc-file && cat /proc/rust-proc-file
echo "abcd" >> /proc/rust-proc-file && cat /proc/rust-proc-file
# Beyond the seed: it is a regular file, with its size, and holes.
ls -l /proc/rust-proc-file
dd if=/dev/zero of=/proc/rust-proc-file bs=1 count=1 seek=1048575 conv=notrunc 2>/dev/null
ls -l /proc/rust-proc-file
sudo dmesg | tail -1
modprobe -r rust_proc_ram_file
sudo dmesg | tail -1
