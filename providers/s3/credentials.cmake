# Credentials of the S3 provider: the environment, then the shared credentials file. Included
# from providers/CMakeLists.txt, so paths are relative to this file.
add_library(lakeinfra_s3_credentials STATIC ${CMAKE_CURRENT_LIST_DIR}/credentials.cc)
target_link_libraries(lakeinfra_s3_credentials PUBLIC lakeinfra_config)

lakeinfra_test(s3_credentials_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/credentials_test.cc
  LIBS lakeinfra_s3_credentials lakeinfra_config_testing)
