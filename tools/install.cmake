# install.cmake - what `cmake --install` puts where (SPEC 7.1, issue 14).
# GNU install directories; prefix /usr/local by default, /usr for the
# Debian package (tools/debian/build.sh: cmake --install build --prefix /usr).
# DESTDIR works for all of it.
#
#   bin/fshare-*                         the programs
#   share/man/man1/fshare-*.1, man5/fshare.conf.5
#   share/bash-completion/completions/   one script, a name per program
#   lib/systemd/system/fshare-broker.service, lib/systemd/user/fshare-peer.service
#   share/doc/fshare/examples/           broker.conf, peer.conf
#   <sysconfdir>/fshare/broker.conf      the unit's config (never overwritten)
include(GNUInstallDirs)

set(FSHARE_SYSTEMD_SYSTEM_DIR "lib/systemd/system" CACHE STRING
    "where the system unit goes (relative to the prefix)")
set(FSHARE_SYSTEMD_USER_DIR "lib/systemd/user" CACHE STRING
    "where the user unit goes (relative to the prefix)")
set(FSHARE_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" CACHE STRING
    "where bash completion goes (relative to the prefix)")

set(FSHARE_PROGRAMS broker peer ctl tap passwd bench web)
set(FSHARE_INSTALLED_PROGRAMS "")
foreach(name ${FSHARE_PROGRAMS})
  if(TARGET fshare-${name})
    list(APPEND FSHARE_INSTALLED_PROGRAMS fshare-${name})
  endif()
endforeach()
install(TARGETS ${FSHARE_INSTALLED_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Man pages (with the version) and units (with the paths) are made twice:
# in the build tree at configure time, for the tests, and by `cmake
# --install` for the prefix it installs to (tools/install-files.cmake), so
# `cmake --install build --prefix /usr` needs no second configuration.
foreach(program ${FSHARE_INSTALLED_PROGRAMS})
  configure_file(${CMAKE_SOURCE_DIR}/tools/man/${program}.1.in
                 ${CMAKE_BINARY_DIR}/man/man1/${program}.1 @ONLY)
endforeach()
configure_file(${CMAKE_SOURCE_DIR}/tools/man/fshare.conf.5.in
               ${CMAKE_BINARY_DIR}/man/man5/fshare.conf.5 @ONLY)
install(CODE "
  set(FSHARE_SOURCE \"${CMAKE_SOURCE_DIR}\")
  set(FSHARE_GEN \"${CMAKE_BINARY_DIR}/install-gen\")
  set(PROJECT_VERSION \"${PROJECT_VERSION}\")
  set(FSHARE_PAGES \"${FSHARE_INSTALLED_PROGRAMS}\")
  set(FSHARE_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(FSHARE_MANDIR \"${CMAKE_INSTALL_MANDIR}\")
  set(FSHARE_SYSTEMD_SYSTEM_DIR \"${FSHARE_SYSTEMD_SYSTEM_DIR}\")
  set(FSHARE_SYSTEMD_USER_DIR \"${FSHARE_SYSTEMD_USER_DIR}\")
  include(\"${CMAKE_SOURCE_DIR}/tools/install-files.cmake\")")

# Bash completion: one script; bash-completion loads it by the command's name.
install(FILES tools/completion/fshare DESTINATION ${FSHARE_COMPLETION_DIR})
foreach(program ${FSHARE_INSTALLED_PROGRAMS})
  install(CODE "file(CREATE_LINK fshare
      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${FSHARE_COMPLETION_DIR}/${program}\" SYMBOLIC)")
endforeach()

# Examples (the broker unit's own config: tools/install-files.cmake)
install(FILES tools/examples/broker.conf tools/examples/peer.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
