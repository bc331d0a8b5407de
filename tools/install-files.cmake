# install-files.cmake - run by `cmake --install` (see tools/install.cmake):
# the man pages and units with the paths of the prefix being installed to,
# so one build tree installs to /usr/local as well as to /usr (the Debian
# package) without being configured again.
# In: FSHARE_SOURCE, FSHARE_GEN, PROJECT_VERSION, FSHARE_PAGES (programs),
# FSHARE_BINDIR, FSHARE_MANDIR (relative), FSHARE_SYSTEMD_SYSTEM_DIR,
# FSHARE_SYSTEMD_USER_DIR, and CMAKE_INSTALL_PREFIX (the install's own).
set(prefix "${CMAKE_INSTALL_PREFIX}")
# GNUInstallDirs' rule for the two prefixes that matter here
if(prefix STREQUAL "/usr")
  set(CMAKE_INSTALL_FULL_SYSCONFDIR "/etc")
else()
  set(CMAKE_INSTALL_FULL_SYSCONFDIR "${prefix}/etc")
endif()
set(CMAKE_INSTALL_FULL_BINDIR "${prefix}/${FSHARE_BINDIR}")
# A directory of its own per destination: two installs at once (the tests
# do that) never see each other's half-made files.
string(MD5 destination "$ENV{DESTDIR}|${prefix}")
set(FSHARE_GEN "${FSHARE_GEN}/${destination}")

foreach(program ${FSHARE_PAGES})
  configure_file(${FSHARE_SOURCE}/tools/man/${program}.1.in ${FSHARE_GEN}/man1/${program}.1 @ONLY)
  file(INSTALL ${FSHARE_GEN}/man1/${program}.1 DESTINATION "${prefix}/${FSHARE_MANDIR}/man1")
endforeach()
configure_file(${FSHARE_SOURCE}/tools/man/fshare.conf.5.in ${FSHARE_GEN}/man5/fshare.conf.5 @ONLY)
file(INSTALL ${FSHARE_GEN}/man5/fshare.conf.5 DESTINATION "${prefix}/${FSHARE_MANDIR}/man5")

configure_file(${FSHARE_SOURCE}/tools/systemd/fshare-broker.service.in
               ${FSHARE_GEN}/fshare-broker.service @ONLY)
configure_file(${FSHARE_SOURCE}/tools/systemd/fshare-peer.service.in
               ${FSHARE_GEN}/fshare-peer.service @ONLY)
file(INSTALL ${FSHARE_GEN}/fshare-broker.service DESTINATION "${prefix}/${FSHARE_SYSTEMD_SYSTEM_DIR}")
file(INSTALL ${FSHARE_GEN}/fshare-peer.service DESTINATION "${prefix}/${FSHARE_SYSTEMD_USER_DIR}")

# The broker unit's config, unless one is there already (file(INSTALL) adds
# DESTDIR by itself; EXISTS needs it spelled out).
set(conf_dir "${CMAKE_INSTALL_FULL_SYSCONFDIR}/fshare")
if(EXISTS "$ENV{DESTDIR}${conf_dir}/broker.conf")
  message(STATUS "Kept: $ENV{DESTDIR}${conf_dir}/broker.conf")
else()
  file(INSTALL ${FSHARE_SOURCE}/tools/examples/broker.conf DESTINATION "${conf_dir}")
endif()
