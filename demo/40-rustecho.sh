# ---- Seed 004: rustecho, a character device that echoes data back (/dev/rustecho) ----
# Stage 1: the C skeleton, which only says hello and goodbye.  Here it is
# rustecho_skeleton.ko (the real rustecho.ko sits next to it); it prints
# the seed's lines.
sudo insmod rustecho_skeleton.ko
sudo dmesg | tail -1
lsmod | grep rustecho
sudo rmmod rustecho_skeleton
sudo dmesg | tail -1
# Stage 2.  The seed now runs "rm -f rustecho.c; make clean && make" and
# looks for "RUSTC [M] rustecho.o".  This guest has no compiler: make demo
# built rustecho.ko on the host, from C (rustecho/dev.c, state.c, "CC [M]"),
# just before it booted the guest.  This is what we load:
ls -la rustecho.ko && strings rustecho.ko | grep -E '^(description|vermagic)='
sudo insmod rustecho.ko && sudo dmesg | tail -5
ls -la /dev/rustecho
echo "hello from user space" | sudo tee /dev/rustecho > /dev/null
sudo cat /dev/rustecho
sudo strace -e openat,read,write,close cat /dev/rustecho
sudo dmesg | tail -10
sudo rmmod rustecho && sudo dmesg | tail -5
ls /dev/rustecho 2>&1 || echo "/dev/rustecho removed — clean."
# The lecture's test_rustecho.sh, its build step replaced as above:
/tests/rustecho/seed_test_rustecho.sh

# The six extensions: two instances of at most 16 bytes each, a node
# others may open, and a state file that outlives the module.
sudo insmod rustecho.ko instances=2 max_size=16 mode=0666 persist_path=/root/rustecho.state
ls -la /dev/rustecho0 /dev/rustecho1
echo "zero" | sudo tee /dev/rustecho0 > /dev/null
echo "one" | sudo tee /dev/rustecho1 > /dev/null
cat /dev/rustecho0 /dev/rustecho1
# 18 bytes into a 16-byte buffer: ENOSPC, and the old contents stay
echo "eighteen bytes...." | sudo tee /dev/rustecho0 > /dev/null
cat /dev/rustecho0
# an ordinary user (nobody, uid 65534) may read but not write
/tests/rustecho/runas 65534 cat /dev/rustecho1
/tests/rustecho/runas 65534 sh -c 'echo mine > /dev/rustecho1'
cat /proc/rustecho
sudo rmmod rustecho
ls -la /root/rustecho.state
sudo insmod rustecho.ko instances=2 max_size=16 persist_path=/root/rustecho.state
cat /dev/rustecho0 /dev/rustecho1
sudo dmesg | tail -8
sudo rmmod rustecho
